package dataplane

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"sort"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// TestPrivilegedWireSegments: a bulk TCP transfer reaches the source ENI's
// fabric end as GSO aggregates with partial checksums; the copies must be
// what a hypervisor sees on the wire: frames within the ENI's MTU, valid
// IPv4 and TCP checksums, and together the whole byte stream.
func TestPrivilegedWireSegments(t *testing.T) {
	lab := testLab(t)
	spec := baseSpec()
	addSession(&spec, "tms-web15", "web15", "tgt1", 1, 15, cloudmock.TrafficMirrorFilter{
		IngressFilterRules: []cloudmock.TrafficMirrorFilterRule{rule(100, "accept", 6, 8080, 8080)},
	})
	sk := newSink(t, lab, "tgt1")
	svc, _ := startService(t, lab, spec, nil)

	var ln net.Listener
	if err := lab.Instance("web15").Run(func() (err error) { ln, err = net.Listen("tcp", "10.0.0.52:8080"); return }); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	recvd := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			recvd <- nil
			return
		}
		b, _ := io.ReadAll(c)
		c.Close()
		recvd <- b
	}()
	data := make([]byte, 300000)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	var c net.Conn
	if err := lab.Instance("client").Run(func() (err error) { c, err = net.Dial("tcp", "10.0.0.52:8080"); return }); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(data); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if got := <-recvd; !bytes.Equal(got, data) {
		t.Fatalf("production transfer broken: %d of %d bytes", len(got), len(data))
	}

	// Segments of 1448 payload bytes plus the handshake and FIN: wait for
	// the stream, then check every copy.
	got := settle(len(data)/1448+4, sk)
	type seg struct {
		seq     uint32
		payload []byte
	}
	var segs []seg
	var isn uint32
	for _, a := range got {
		if len(a.inner) > 1500+14 {
			t.Errorf("inner frame of %d bytes exceeds the source ENI's MTU 1500", len(a.inner))
		}
		p := gopacket.NewPacket(a.inner, layers.LayerTypeEthernet, gopacket.Default)
		ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		tcp, _ := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if ip == nil || tcp == nil {
			t.Errorf("copy is not IPv4/TCP: %v", p)
			continue
		}
		if int(ip.Length)+14 != len(a.inner) {
			t.Errorf("inner IPv4 length %d, frame %d bytes", ip.Length, len(a.inner))
			continue
		}
		if !validIPv4(a.inner[14 : 14+int(ip.IHL)*4]) {
			t.Errorf("inner IPv4 header checksum invalid: %x", a.inner[14:34])
		}
		if !validTCP(ip, a.inner[14+int(ip.IHL)*4:]) {
			t.Errorf("inner TCP checksum invalid (seq %d, %d payload bytes)", tcp.Seq, len(tcp.Payload))
		}
		if tcp.SYN {
			isn = tcp.Seq + 1
		}
		if len(tcp.Payload) > 0 {
			segs = append(segs, seg{tcp.Seq, tcp.Payload})
		}
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].seq-isn < segs[j].seq-isn })
	var stream []byte
	for _, s := range segs {
		if off := int(s.seq - isn); off == len(stream) {
			stream = append(stream, s.payload...)
		}
	}
	if !bytes.Equal(stream, data) {
		t.Errorf("mirrored stream: %d contiguous bytes of %d from %d segments", len(stream), len(data), len(segs))
	}
	snap := svc.Snapshot()
	if snap.Totals.Aggregates == 0 {
		t.Logf("no GSO aggregate was seen (offloads off?); segments were checked anyway")
	}
	t.Logf("%d copies, %d aggregates cut", len(got), snap.Totals.Aggregates)
}

// validIPv4 reports whether an IPv4 header's checksum is right.
func validIPv4(h []byte) bool { return naiveSum(h) == 0xffff }

// validTCP reports whether a TCP segment's checksum is right.
func validTCP(ip *layers.IPv4, seg []byte) bool {
	seg = seg[:int(ip.Length)-int(ip.IHL)*4]
	n := len(seg)
	pseudo := []byte{0, 6, byte(n >> 8), byte(n)}
	return naiveSum(ip.SrcIP.To4(), ip.DstIP.To4(), pseudo, seg) == 0xffff
}
