package agent

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/mirrorlab/mirrorlab/agent/internal/pktgen"
)

// geneveFor wraps inner frame i of a flow as a Gateway Load Balancer sends
// it to its appliance: the VXLAN datagram (VNI 1, from outerSrc to the
// endpoint outerDst) inside GENEVE.
func geneveFor(i int, inner []byte) []byte {
	return pktgen.GeneveGWLB(outerSrc, outerDst, uint16(65408+i%7), pktgen.VXLAN(1, inner), uint32(i%7))
}

// TestPcapFileInputGeneve: a capture taken on an appliance behind a GWLB
// (GENEVE on UDP 6081 around the VXLAN) replays like a VXLAN capture, with
// no flag: captured frames to 6081 are GENEVE.
func TestPcapFileInputGeneve(t *testing.T) {
	srv := newRecorder(t, nil)
	tr := buildTraffic()
	path := filepath.Join(t.TempDir(), "appliance.pcapng")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pcapgo.NewNgWriter(f, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Unix(1_700_000_000, 0)
	gwlb := outerDst
	for i, inner := range tr.frames {
		frame := pktgen.OuterPort(gwlb, outerSrc, uint16(49152+i%7), 6081, geneveFor(i, inner))
		ci := gopacket.CaptureInfo{Timestamp: ts.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(frame), Length: len(frame)}
		if err := w.WritePacket(ci, frame); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{Input: "pcap", PcapFile: path, Destination: srv.URL, SummaryInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Run(t.Context()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	compare(t, srv.wait(t, len(tr.want)), tr.want)
	if s := a.Stats(); s.Geneve.Decapsulated != uint64(len(tr.frames)) || s.Geneve.Errors != 0 || s.Requests.Replayed != uint64(len(tr.want)) {
		t.Errorf("geneve %+v, replayed %d", s.Geneve, s.Requests.Replayed)
	}
}

// TestPrivilegedAFPacketGeneve: with -geneve the AF_PACKET input's kernel
// filter keeps UDP to 6081 (VXLAN to 4789 and other UDP never reach the
// decoder), and the GENEVE datagrams give the requests.
func TestPrivilegedAFPacketGeneve(t *testing.T) {
	inNS, srv := nsRecorder(t)
	a, stop := startAgent(t, Config{Input: "afpacket", Interface: "lo", Frames: "vxlan", Geneve: true,
		Destination: srv.URL, InNamespace: inNS, SummaryInterval: -1, HealthAddr: "127.0.0.1:0"})
	tr := buildTraffic()
	err := inNS(func() error {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer c.Close()
		lo := net.IPv4(127, 0, 0, 1)
		for i := 0; i < 10; i++ {
			// filtered by the kernel: plain VXLAN and other UDP
			if _, err := c.WriteTo(pktgen.VXLAN(1, tr.frames[0]), &net.UDPAddr{IP: lo, Port: 4789}); err != nil {
				return err
			}
			if _, err := c.WriteTo([]byte("not geneve"), &net.UDPAddr{IP: lo, Port: 5000}); err != nil {
				return err
			}
		}
		i := 0
		return sendPaced(tr.frames, func(f []byte) error {
			_, err := c.WriteTo(geneveFor(i, f), &net.UDPAddr{IP: lo, Port: 6081})
			i++
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	waitThenStop(t, srv, stop, tr)
	if s := a.Stats(); s.Packets != uint64(len(tr.frames)) || s.Geneve.Decapsulated != uint64(len(tr.frames)) || s.Geneve.Errors != 0 {
		t.Errorf("packets %d (want %d), geneve %+v", s.Packets, len(tr.frames), s.Geneve)
	}
}
