package suite

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/mirrorlab/mirrorlab/agent"
	"github.com/mirrorlab/mirrorlab/bench/gen"
	"github.com/mirrorlab/mirrorlab/bench/vpc"
)

// decodeSpec is the decode rate over UDP; the generator usually limits it,
// so it is shown but not compared (the file figures are).
func decodeSpec() spec {
	return spec{name: "agent/ours/decode-rate", group: "ours", unit: "pps", higherIsBetter: true, informational: true}
}

// agentPhase runs our decap agent in-process inside the adapter, on UDP
// 4789 as the walk-through's adapter would, replaying to the test server:
// first its decode rate, then its replay at each offered load.
func (b *bench) agentPhase(ctx context.Context, run int, env *vpc.Env, srv *servers) {
	if err := b.decodeFile(ctx, run); err != nil {
		b.col.fail(decodeFileSpec(), err)
		b.col.fail(decodeCPUSpec(), err)
	}
	fail := func(err error) {
		err = fmt.Errorf("our agent: %w", err)
		b.failReplay(labelOurs, err)
		b.col.fail(decodeSpec(), err)
	}
	a, err := agent.New(agent.Config{Input: "udp", Listen: ":4789", Ports: []uint16{HTTPPort}, Destination: srv.testURL,
		VNIs: []uint32{vpc.MirrorVNI}, SummaryInterval: -1, InNamespace: env.Adapter.Run})
	if err != nil {
		fail(err)
		return
	}
	actx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(actx) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil && ctx.Err() == nil {
				b.cfg.logf("agent stopped: %v", err)
			}
		case <-time.After(15 * time.Second):
			b.cfg.logf("agent did not stop within 15s")
		}
	}()
	select {
	case <-a.Ready():
	case err := <-done:
		done <- err
		fail(fmt.Errorf("exited at start: %v", err))
		return
	case <-time.After(5 * time.Second):
		fail(fmt.Errorf("not ready after 5s"))
		return
	}
	b.cfg.logf("  run %d agent: ready on %v in %s", run, a.Addr("udp"), env.Adapter.NsName)
	if err := b.decodeRate(ctx, run, env, a); err != nil {
		b.col.fail(decodeSpec(), err)
	}
	b.replayLoads(ctx, run, labelOurs, env, srv, inProcess{a: a, done: done})
}

// inProcess is our agent: it shares the bench's process, so its CPU and
// memory cannot be told apart.
type inProcess struct {
	a    *agent.Agent
	done chan error // Run's result (buffered, one value), put back when read
}

// Exited reports an agent whose Run returned early.
func (p inProcess) Exited() error {
	select {
	case err := <-p.done:
		p.done <- err
		return fmt.Errorf("our agent stopped: %v", err)
	default:
		return nil
	}
}

func (inProcess) Sample() (time.Duration, uint64, bool) { return 0, 0, false }
func (inProcess) Stop() error                           { return nil }

func (p inProcess) Diag() string {
	s := p.a.Stats()
	dropped := ""
	keys := make([]string, 0, len(s.Requests.Dropped))
	for k, v := range s.Requests.Dropped {
		if v > 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		dropped += fmt.Sprintf(" %s=%d", k, s.Requests.Dropped[k])
	}
	if dropped == "" {
		dropped = " none"
	}
	return fmt.Sprintf("(agent so far: %d packets, %d input drops, %d queue drops, %d gaps, %d parsed, %d replayed, %d failed; requests dropped:%s)",
		s.Packets, s.InputDrops, s.ShardDrops, s.Streams.Gaps, s.Requests.Parsed, s.Requests.Replayed, s.Requests.Failed, dropped)
}

// decodeRate sends VXLAN datagrams (VNI 1, inner TCP to a port the agent
// does not watch, so nothing is reassembled) as fast as the generator can
// from the client to the adapter's UDP 4789, and counts the inner TCP
// packets the agent decoded.
func (b *bench) decodeRate(ctx context.Context, run int, env *vpc.Env, a *agent.Agent) error {
	payload, err := vxlanPayload(vpc.MirrorVNI)
	if err != nil {
		return err
	}
	// From the client, through the VPC router, to the adapter's eth0: the
	// way mirrored copies arrive.
	c, ad := vpc.ENI(env.Client), vpc.ENI(env.Adapter)
	br := env.Lab.Fabric(c.VPC).Bridge(c.Subnet)
	if br == nil {
		return fmt.Errorf("no bridge for subnet %s", c.Subnet)
	}
	frames, err := gen.Frames(gen.Flow{SrcMAC: c.MAC, DstMAC: br.MAC, Src: c.IP, Dst: ad.IP, SrcPort: 40000, DstPort: vpc.VXLANPort, Payload: payload}, 16)
	if err != nil {
		return err
	}
	var snd *gen.Sender
	if err := env.Client.Run(func() error {
		var err error
		snd, err = gen.OpenSender(c.Index, frames)
		return err
	}); err != nil {
		return fmt.Errorf("decode generator: %w", err)
	}
	defer snd.Close()
	before := a.Stats().OtherPort
	tx, err := snd.Send(ctx, 0, b.cfg.DecodeTrial)
	if err != nil {
		return err
	}
	time.Sleep(b.cfg.Settle)
	st := a.Stats()
	decoded := st.OtherPort - before
	rate := float64(decoded) / tx.Elapsed.Seconds()
	ds := decodeSpec()
	b.col.add(ds, rate)
	b.col.add(spec{name: "agent/ours/decode-offered", group: "ours", unit: "pps", informational: true}, float64(tx.Sent)/tx.Elapsed.Seconds())
	if tx.Sent > 0 && float64(decoded) >= 0.99*float64(tx.Sent) {
		b.col.note(ds, "generator-limited: the agent decoded all the generator sent (a lower bound)")
	}
	b.cfg.logf("  run %d agent decode: %.0f pps decoded of %.0f pps sent", run, rate, float64(tx.Sent)/tx.Elapsed.Seconds())
	return nil
}

// vxlanPayload is a VXLAN header (flags 0x08, vni) and an inner
// Ethernet/IPv4/TCP frame to port 8080 with 64 bytes of data.
func vxlanPayload(vni uint32) ([]byte, error) {
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: net.IPv4(10, 0, 0, 9), DstIP: net.IPv4(10, 0, 0, 10)}
	tcp := &layers.TCP{SrcPort: 50000, DstPort: 8080, Seq: 1, Ack: 1, ACK: true, PSH: true, Window: 512}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		return nil, err
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, tcp, gopacket.Payload(make([]byte, 64))); err != nil {
		return nil, fmt.Errorf("inner frame: %w", err)
	}
	out := make([]byte, 8, 8+len(buf.Bytes()))
	out[0] = 0x08
	binary.BigEndian.PutUint32(out[4:8], vni<<8)
	return append(out, buf.Bytes()...), nil
}
