package dataplane

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// directCase is one receiver of TestPrivilegedDirectSendMatchesRouted: the
// frames injected at the source and the copies captured at the receiver's
// eth0, per send path.
type directCase struct {
	target         string // receiving instance
	src            string // source ENI's instance
	dir            cloudmock.Direction
	injected       [][]byte
	routed, direct [][]byte
}

// TestPrivilegedDirectSendMatchesRouted proves that writing the copies
// straight onto the receiver's bridge port (the default) puts the same
// bytes on the receiver's wire as the routed raw send (RoutedSend) did, but
// the outer IPv4 id: AWS's copies carry id 0 with DF clear, and so do the
// direct ones, where the kernel numbers the routed ones. Sent directly, the
// service's pcapng per target holds exactly the frames the receiver's
// interface got. It also holds every
// direct copy to the model's own frame (Decision.AppendFrame with the
// router's MAC in the receiver's subnet as source), and has tshark read
// the outer header. Receivers: tgt1 in another subnet than the source
// (ingress copies of web), tgt3 in a third subnet at MTU 1500 (egress
// copies of client, truncated there), so routing, the router's MAC per
// subnet and truncation are all compared.
func TestPrivilegedDirectSendMatchesRouted(t *testing.T) {
	lab := testLab(t)
	spec := baseSpec()
	addSession(&spec, "tms-web", "web", "tgt1", 1, 77, cloudmock.TrafficMirrorFilter{
		IngressFilterRules: rules{rule(100, "accept", 17, 9000, 9000)},
	})
	addSession(&spec, "tms-client", "client", "tgt3", 1, 78, cloudmock.TrafficMirrorFilter{
		EgressFilterRules: rules{rule(100, "accept", 17, 9000, 9000)},
	})
	listenUDP(t, lab, "web", 9000).drain()
	client, web := lab.Instance("client").ENI("eth0"), lab.Instance("web").ENI("eth0")
	frames := sizedFrames(client, web)
	cases := []*directCase{
		{target: "tgt1", src: "web", dir: cloudmock.Ingress, injected: frames},
		{target: "tgt3", src: "client", dir: cloudmock.Egress, injected: frames},
	}
	wires := map[string]*wireCapture{}
	var sinks []*sink
	for _, c := range cases {
		wires[c.target] = captureWire(t, lab, c.target)
		sinks = append(sinks, newSink(t, lab, c.target))
	}
	for _, routed := range []bool{true, false} {
		before := map[string]int{}
		for _, c := range cases {
			before[c.target] = len(wires[c.target].vxlan())
		}
		for _, s := range sinks {
			s.reset()
		}
		pcapDir := t.TempDir()
		svc, _ := startService(t, lab, spec, func(c *Config) { c.RoutedSend, c.PcapDir = routed, pcapDir })
		inject(t, lab, "client", frames...)
		want := len(cases) * len(frames)
		if got := settle(want, sinks...); len(got) != want {
			t.Fatalf("routed=%v: the sinks got %d copies, want %d:%s\n%s", routed, len(got), want, describe(got), dumpSnapshot(svc))
		}
		if err := svc.Close(); err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			got := wires[c.target].vxlan()[before[c.target]:]
			if routed {
				c.routed = got
				continue
			}
			c.direct = got
			// Sent directly, the service's pcapng is what the receiver's
			// wire carried, byte for byte.
			if pc := readPcapng(t, filepath.Join(pcapDir, "tmt-"+c.target+".pcapng")); !equalFrames(pc, got) {
				t.Errorf("%s: the service's pcapng (%d frames) is not the wire capture (%d frames)", c.target, len(pc), len(got))
			}
		}
	}
	m, err := cloudmock.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		c.compare(t, lab, m)
	}
	checkTsharkOuterHeader(t, cases)
}

// sizedFrames are UDP frames from src (ports 47000 up) to dst port 9000 at
// 64, 512, 1400, 1514 and 8961 bytes, each with a payload of its own.
func sizedFrames(src, dst *sim.ENI) [][]byte {
	var frames [][]byte
	for i, size := range []int{64, 512, 1400, 1514, 8961} {
		f := udpFrame(src, dst, 47000+i, 9000, size)
		for j := 42; j < len(f); j++ {
			f[j] = byte(i*31 + j)
		}
		frames = append(frames, f)
	}
	return frames
}

// compare checks one receiver's copies: as many on both paths, each
// direct copy the model's frame byte for byte, and each routed copy the
// same but for the outer IPv4 id and header checksum.
func (c *directCase) compare(t *testing.T, lab *sim.Lab, m *cloudmock.Model) {
	t.Helper()
	if len(c.routed) != len(c.injected) || len(c.direct) != len(c.injected) {
		t.Fatalf("%s: wire copies routed %d, direct %d; want %d each", c.target, len(c.routed), len(c.direct), len(c.injected))
	}
	recv := lab.Instance(c.target).ENI("eth0")
	hdr := cloudmock.FrameHeader{DstMAC: [6]byte(recv.MAC), SrcMAC: [6]byte(lab.Fabric("vpc").Bridge(recv.Subnet).MAC)}
	ref, ok := m.ENI("eni-" + c.src)
	if !ok {
		t.Fatalf("model lacks eni-%s", c.src)
	}
	var d cloudmock.Decision
	for i, f := range c.injected {
		m.DecideInto(&d, ref, c.dir, f)
		want := d.AppendFrame(nil, hdr, f)
		direct, routed := c.direct[i], c.routed[i]
		if !bytes.Equal(direct, want) {
			t.Errorf("%s copy %d (%d-byte frame): the direct copy is not the model's frame\n got %x\nwant %x",
				c.target, i, len(f), head(direct), head(want))
			continue
		}
		if id, df := binary.BigEndian.Uint16(direct[18:]), direct[20]&0x40; id != 0 || df != 0 {
			t.Errorf("%s copy %d: outer IPv4 id %#04x DF %v on the wire, want id 0, DF clear (AWS)", c.target, i, id, df != 0)
		}
		if naiveSum(direct[14:34]) != 0xffff {
			t.Errorf("%s copy %d: outer IPv4 header checksum invalid", c.target, i)
		}
		if len(routed) != len(direct) {
			t.Errorf("%s copy %d: routed copy %d bytes, direct %d", c.target, i, len(routed), len(direct))
			continue
		}
		// The routed copy with the kernel's id undone: the same frame.
		norm := append([]byte(nil), routed...)
		copy(norm[18:20], direct[18:20])
		copy(norm[24:26], direct[24:26])
		if !bytes.Equal(norm, direct) {
			t.Errorf("%s copy %d: the direct copy differs from the routed one beyond the IPv4 id\nrouted %x\ndirect %x",
				c.target, i, head(routed), head(direct))
		}
		t.Logf("%s copy %d: %d bytes on the wire, routed id %#04x, direct id 0", c.target, i, len(direct), binary.BigEndian.Uint16(routed[18:]))
	}
}

func readPcapng(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for {
		data, _, err := r.ReadPacketData()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
}

func equalFrames(a, b [][]byte) bool {
	return slices.EqualFunc(a, b, bytes.Equal)
}

// head is a frame's first 96 bytes, for failure messages.
func head(b []byte) []byte { return b[:min(len(b), 96)] }

// checkTsharkOuterHeader has tshark read the direct copies' outer IPv4
// header as the AWS capture shows it: id 0x0000, DF 0, TTL 255.
func checkTsharkOuterHeader(t *testing.T, cases []*directCase) {
	bin, err := exec.LookPath("tshark")
	if err != nil {
		t.Log("tshark not installed: its check of the outer header is skipped (the byte comparisons ran)")
		return
	}
	w := &wireCapture{}
	for _, c := range cases {
		for _, f := range c.direct {
			w.frames = append(w.frames, f)
			w.stamps = append(w.stamps, time.Now())
		}
	}
	path := filepath.Join(t.TempDir(), "direct.pcapng")
	w.writePcap(t, path)
	out, err := exec.Command(bin, "-r", path, "-Y", "vxlan", "-T", "fields", "-E", "occurrence=f",
		"-e", "ip.id", "-e", "ip.flags.df", "-e", "ip.ttl", "-e", "vxlan.vni").Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(w.frames) {
		t.Fatalf("tshark dissected %d VXLAN packets, want %d:\n%s", len(lines), len(w.frames), out)
	}
	for i, l := range lines {
		want := fmt.Sprintf("0x0000\t0\t255\t%d", 77+i/len(cases[0].direct))
		if l != want {
			t.Errorf("tshark outer id, DF, TTL, VNI of copy %d: %q, want %q", i, l, want)
		}
	}
}

// TestPrivilegedSendNoAlloc holds the whole per-copy path to zero
// allocations with real sockets in the lab: capture-side handling of a
// batch, then sendBatch on the direct path (AF_PACKET onto tgt1's bridge
// port) and on the routed one (raw socket in the fabric).
func TestPrivilegedSendNoAlloc(t *testing.T) {
	lab := testLab(t)
	listenUDP(t, lab, "tgt1", 4789) // never read: the copies need no reader
	tgt := lab.Instance("tgt1").ENI("eth0")
	fab := lab.Fabric("vpc")
	for _, routed := range []bool{false, true} {
		p, f := pathFixture(t, 0)
		p.svc.cfg.Lab, p.svc.cfg.RoutedSend = lab, routed
		p.logger = p.svc.cfg.Logger
		p.failed = make([]bool, p.svc.cfg.Batch)
		p.onErr = p.markFailed
		for _, ta := range p.svc.cur.Load().targets {
			ta.dstMAC, ta.srcMAC = [6]byte(tgt.MAC), [6]byte(fab.Bridge(tgt.Subnet).MAC)
			ta.port = txPort{fabric: 0, ifindex: int32(tgt.PeerIndex), ok: true}
		}
		err := fab.Run(func() (err error) {
			p.snd, err = newSender(p.svc.cfg.Batch, p.svc.cfg.Mark)
			return err
		})
		if err == nil {
			err = p.svc.openDirect(p.snd)
		}
		if err != nil {
			t.Fatalf("routed=%v: sender: %v", routed, err)
		}
		const runs = 200
		allocs := testing.AllocsPerRun(runs, func() {
			for i := 0; i < p.svc.cfg.Batch; i++ {
				p.handle(f, 1, false)
			}
			p.sendBatch()
		})
		if err := p.snd.close(); err != nil {
			t.Fatal(err)
		}
		sent, failed := p.st.sent.Load(), p.st.dropped[DropSendError].Load()
		if want := uint64((runs + 1) * p.svc.cfg.Batch); sent != want || failed != 0 {
			t.Fatalf("routed=%v: sent %d, send errors %d; want %d sent", routed, sent, failed, want)
		}
		if allocs != 0 {
			t.Errorf("routed=%v: the per-copy path allocates %.1f times per batch of %d", routed, allocs, p.svc.cfg.Batch)
		}
	}
}
