package suite

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/mirrorlab/mirrorlab/internal/bench/gen"
	"github.com/mirrorlab/mirrorlab/internal/bench/vpc"
)

// decodeSpec is the decode rate over UDP; the generator usually limits it,
// so it is shown but not compared (the file figures are).
func decodeSpec() spec {
	return spec{name: "agent/ours/decode-rate", group: "ours", unit: "pps", higherIsBetter: true, informational: true}
}

// agentPhase runs our decap agent inside the adapter, on UDP 4789 as the
// walk-through's adapter would, replaying to the test server: first its
// decode rate, then its replay at each offered load.
func (b *bench) agentPhase(ctx context.Context, run int, env *vpc.Env, srv *servers) {
	if err := b.decodeFile(ctx, run); err != nil {
		b.col.fail(decodeFileSpec(), err)
		b.col.fail(decodeCPUSpec(), err)
	}
	a, err := b.startAgent(ctx, env, srv, false)
	if err != nil {
		err = fmt.Errorf("our agent: %w", err)
		b.failReplay(labelOurs, err)
		b.col.fail(decodeSpec(), err)
		return
	}
	defer b.stopAgent(a)
	b.cfg.logf("  run %d agent: ready in %s (%s)", run, env.Adapter.NsName, a.where())
	if err := b.decodeRate(ctx, run, env, a); err != nil {
		b.col.fail(decodeSpec(), err)
	}
	// Let the agent finish with the decode flood (and its garbage) before
	// its CPU per request is measured.
	select {
	case <-ctx.Done():
		return
	case <-time.After(b.cfg.Drain):
	}
	b.replayLoads(ctx, run, labelOurs, env, srv, a)
}

// comparePhase is agentPhase's replay with response comparison on: the
// mirror also copies production's answers (outbound TCP from port 80) and
// the agent runs with -compare (issue 11's cost figure).
func (b *bench) comparePhase(ctx context.Context, run int, env *vpc.Env, srv *servers) {
	if err := env.MirrorResponses(ctx, true); err != nil {
		b.failReplay(labelOursCompare, err)
		return
	}
	defer func() {
		if err := env.MirrorResponses(ctx, false); err != nil {
			b.cfg.logf("mirror without responses: %v", err)
		}
	}()
	a, err := b.startAgent(ctx, env, srv, true)
	if err != nil {
		b.failReplay(labelOursCompare, fmt.Errorf("our agent with -compare: %w", err))
		return
	}
	defer b.stopAgent(a)
	b.cfg.logf("  run %d agent with -compare: ready in %s (%s)", run, env.Adapter.NsName, a.where())
	b.replayLoads(ctx, run, labelOursCompare, env, srv, a)
}

func (b *bench) stopAgent(a *ourAgent) {
	if err := a.Stop(); err != nil {
		b.cfg.logf("stop our agent: %v", err)
	}
}

// decodeRate sends// decodeRate sends VXLAN datagrams (VNI 1, inner TCP to a port the agent
// does not watch, so nothing is reassembled) as fast as the generator can
// from the client to the adapter's UDP 4789, and counts the inner TCP
// packets the agent decoded.
func (b *bench) decodeRate(ctx context.Context, run int, env *vpc.Env, a *ourAgent) error {
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
	snd, err := gen.OpenSenderIn(env.Client.Run, c.Index, frames)
	if err != nil {
		return fmt.Errorf("decode generator: %w", err)
	}
	defer snd.Close()
	st0, err := a.stats()
	if err != nil {
		return err
	}
	tx, err := snd.Send(ctx, 0, b.cfg.DecodeTrial)
	if err != nil {
		return err
	}
	time.Sleep(b.cfg.Settle)
	st, err := a.stats()
	if err != nil {
		return err
	}
	decoded := st.OtherPort - st0.OtherPort
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
