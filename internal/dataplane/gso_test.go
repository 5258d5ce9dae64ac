package dataplane

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// naiveSum is RFC 1071's ones'-complement sum, 16 bits at a time: a
// checker independent of the service's own (csumAdd).
func naiveSum(parts ...[]byte) uint16 {
	var sum uint32
	for _, b := range parts {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(b[i])<<8 | uint32(b[i+1])
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return uint16(sum)
}

// aggregate builds an Ethernet/IPv4/TCP (or UDP) GSO aggregate of payload
// bytes whose transport checksum holds only the pseudo-header sum, as the
// kernel hands it to a device with checksum offload.
func aggregate(t testing.TB, proto layers.IPProtocol, payload []byte) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: 1000, Flags: layers.IPv4DontFragment, Protocol: proto,
		SrcIP: net.IP{10, 0, 0, 6}, DstIP: net.IP{10, 0, 0, 5}}
	var l4 gopacket.SerializableLayer
	switch proto {
	case layers.IPProtocolTCP:
		tcp := &layers.TCP{SrcPort: 40000, DstPort: 8080, Seq: 0xfffff000, Ack: 7, ACK: true, PSH: true, FIN: true, CWR: true, Window: 500,
			Options: []layers.TCPOption{{OptionType: layers.TCPOptionKindNop}, {OptionType: layers.TCPOptionKindNop},
				{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: make([]byte, 8)}}}
		tcp.SetNetworkLayerForChecksum(ip)
		l4 = tcp
	default:
		udp := &layers.UDP{SrcPort: 40000, DstPort: 9000}
		udp.SetNetworkLayerForChecksum(ip)
		l4 = udp
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, l4, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	b := append([]byte(nil), buf.Bytes()...)
	// Replace the full checksum by the pseudo-header sum (CHECKSUM_PARTIAL).
	l4off := 14 + 20
	ck := l4off + 16
	if proto == layers.IPProtocolUDP {
		ck = l4off + 6
	}
	n := int(binary.BigEndian.Uint16(b[16:])) - 20
	binary.BigEndian.PutUint16(b[ck:], naiveSum(b[26:34], []byte{0, byte(proto), byte(n >> 8), byte(n)}))
	return b
}

func TestCompleteChecksum(t *testing.T) {
	for _, proto := range []layers.IPProtocol{layers.IPProtocolTCP, layers.IPProtocolUDP} {
		for _, n := range []int{0, 1, 7, 100, 1001} {
			payload := bytes.Repeat([]byte{0xa5, 0x17, 0x3c}, n)[:n]
			f := aggregate(t, proto, payload)
			off := 16
			if proto == layers.IPProtocolUDP {
				off = 6
			}
			if !completeChecksum(f, 34, off) {
				t.Fatalf("%v/%d: completeChecksum refused", proto, n)
			}
			p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
			if !l4Valid(p, f) {
				t.Errorf("%v payload %d: checksum still wrong after completion", proto, n)
			}
		}
	}
	if completeChecksum(make([]byte, 20), 18, 16) {
		t.Error("completeChecksum accepted offsets past the frame")
	}
}

// l4Valid checks the transport checksum of frame independently.
func l4Valid(p gopacket.Packet, frame []byte) bool {
	ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	if ip == nil {
		return false
	}
	seg := frame[14+int(ip.IHL)*4 : 14+int(ip.Length)]
	n := len(seg)
	return naiveSum(ip.SrcIP.To4(), ip.DstIP.To4(), []byte{0, byte(ip.Protocol), byte(n >> 8), byte(n)}, seg) == 0xffff
}

func TestSegmenterTCP(t *testing.T) {
	const mss = 1000
	payload := make([]byte, 3*mss+123)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	agg := aggregate(t, layers.IPProtocolTCP, payload)
	s := segmenter{buf: make([]byte, 2048)}
	if !s.init(agg, vnetHdr{gsoType: vnetGSOTCPv4, gsoSize: mss, flags: vnetNeedsCsum}) {
		t.Fatal("init refused a TCPv4 aggregate")
	}
	var stream []byte
	k := 0
	for seg := s.next(); seg != nil; seg = s.next() {
		p := gopacket.NewPacket(seg, layers.LayerTypeEthernet, gopacket.Default)
		ip := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		tcp := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		last := len(stream)+len(tcp.Payload) == len(payload)
		if int(ip.Length)+14 != len(seg) {
			t.Errorf("segment %d: IPv4 length %d, frame %d", k, ip.Length, len(seg))
		}
		if ip.Id != uint16(1000+k) {
			t.Errorf("segment %d: IP id %d, want %d", k, ip.Id, 1000+k)
		}
		if naiveSum(seg[14:34]) != 0xffff {
			t.Errorf("segment %d: bad IPv4 header checksum", k)
		}
		if !l4Valid(p, seg) {
			t.Errorf("segment %d: bad TCP checksum", k)
		}
		if tcp.Seq != 0xfffff000+uint32(len(stream)) {
			t.Errorf("segment %d: seq %#x, want %#x", k, tcp.Seq, 0xfffff000+uint32(len(stream)))
		}
		if tcp.FIN != last || tcp.PSH != last || tcp.CWR != (k == 0) || !tcp.ACK {
			t.Errorf("segment %d: flags FIN %v PSH %v CWR %v ACK %v", k, tcp.FIN, tcp.PSH, tcp.CWR, tcp.ACK)
		}
		if len(tcp.Options) != 3 {
			t.Errorf("segment %d: %d TCP options, want the aggregate's 3", k, len(tcp.Options))
		}
		stream = append(stream, tcp.Payload...)
		k++
	}
	if k != 4 || !bytes.Equal(stream, payload) {
		t.Fatalf("%d segments carrying %d bytes, want 4 carrying the %d-byte payload", k, len(stream), len(payload))
	}
}

func TestSegmenterUDP(t *testing.T) {
	payload := make([]byte, 2500)
	for i := range payload {
		payload[i] = byte(i)
	}
	agg := aggregate(t, layers.IPProtocolUDP, payload)
	s := segmenter{buf: make([]byte, 2048)}
	if !s.init(agg, vnetHdr{gsoType: vnetGSOUDPL4, gsoSize: 1200}) {
		t.Fatal("init refused a UDP_L4 aggregate")
	}
	var sizes []int
	var got []byte
	for seg := s.next(); seg != nil; seg = s.next() {
		p := gopacket.NewPacket(seg, layers.LayerTypeEthernet, gopacket.Default)
		udp := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
		if int(udp.Length) != 8+len(udp.Payload) || !l4Valid(p, seg) || naiveSum(seg[14:34]) != 0xffff {
			t.Errorf("segment %d: UDP length %d for %d bytes, or a bad checksum", len(sizes), udp.Length, len(udp.Payload))
		}
		sizes = append(sizes, len(udp.Payload))
		got = append(got, udp.Payload...)
	}
	if len(sizes) != 3 || sizes[0] != 1200 || sizes[2] != 100 || !bytes.Equal(got, payload) {
		t.Fatalf("segments %v", sizes)
	}
}

func TestSegmenterRefuses(t *testing.T) {
	s := segmenter{buf: make([]byte, 600)}
	tcp := aggregate(t, layers.IPProtocolTCP, make([]byte, 3000))
	if s.init(tcp, vnetHdr{gsoType: vnetGSOTCPv4, gsoSize: 1000}) {
		t.Error("init accepted segments larger than the scratch buffer")
	}
	s.buf = make([]byte, 2048)
	if s.init(tcp, vnetHdr{gsoType: vnetGSOUDPL4, gsoSize: 1000}) {
		t.Error("init accepted a TCP frame announced as UDP_L4")
	}
	if s.init(tcp[:20], vnetHdr{gsoType: vnetGSOTCPv4, gsoSize: 1000}) {
		t.Error("init accepted a cut-short frame")
	}
	arp := append([]byte(nil), tcp...)
	arp[12], arp[13] = 0x08, 0x06
	if s.init(arp, vnetHdr{gsoType: vnetGSOTCPv4, gsoSize: 1000}) {
		t.Error("init accepted a non-IPv4 frame")
	}
}

func TestSegmenterNoAlloc(t *testing.T) {
	agg := aggregate(t, layers.IPProtocolTCP, make([]byte, 20000))
	s := segmenter{buf: make([]byte, 2048)}
	h := vnetHdr{gsoType: vnetGSOTCPv4, gsoSize: 1448}
	allocs := testing.AllocsPerRun(100, func() {
		s.init(agg, h)
		for seg := s.next(); seg != nil; seg = s.next() {
		}
	})
	if allocs != 0 {
		t.Fatalf("segmenting allocates %.1f times", allocs)
	}
}

func TestCsumAddMatchesNaive(t *testing.T) {
	b := make([]byte, 1500)
	for i := range b {
		b[i] = byte(i*31 + 7)
	}
	for n := 0; n <= len(b); n += 37 {
		if got, want := fold(csumAdd(0, b[:n])), naiveSum(b[:n]); got != want {
			t.Fatalf("length %d: csumAdd %#x, naive %#x", n, got, want)
		}
	}
	ff := bytes.Repeat([]byte{0xff}, 64)
	if got := fold(csumAdd(0, ff)); got != 0xffff {
		t.Fatalf("all-ones: %#x", got)
	}
}

func BenchmarkSegmentTCP64K(b *testing.B) {
	agg := aggregate(b, layers.IPProtocolTCP, make([]byte, 65000))
	s := segmenter{buf: make([]byte, 9100)}
	h := vnetHdr{gsoType: vnetGSOTCPv4, gsoSize: 8948}
	b.SetBytes(int64(len(agg)))
	b.ReportAllocs()
	for b.Loop() {
		s.init(agg, h)
		for seg := s.next(); seg != nil; seg = s.next() {
		}
	}
}
