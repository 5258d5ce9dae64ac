package dataplane

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// aggregate6 is aggregate over IPv6: an Ethernet/IPv6/TCP (or UDP) GSO
// aggregate whose transport checksum holds only the pseudo-header sum.
func aggregate6(t testing.TB, proto layers.IPProtocol, payload []byte) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv6}
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto,
		SrcIP: net.ParseIP("2001:db8:0:100::6"), DstIP: net.ParseIP("2001:db8:0:100::5")}
	var l4 gopacket.SerializableLayer
	if proto == layers.IPProtocolTCP {
		tcp := &layers.TCP{SrcPort: 40000, DstPort: 8080, Seq: 0xfffff000, Ack: 7, ACK: true, PSH: true, FIN: true, Window: 500}
		tcp.SetNetworkLayerForChecksum(ip)
		l4 = tcp
	} else {
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
	ck := 14 + 40 + 16
	if proto == layers.IPProtocolUDP {
		ck = 14 + 40 + 6
	}
	n := int(binary.BigEndian.Uint16(b[18:]))
	binary.BigEndian.PutUint16(b[ck:], naiveSum(b[22:54], []byte{0, 0, byte(n >> 8), byte(n), 0, 0, 0, byte(proto)}))
	return b
}

// l4Valid6 checks a segment's transport checksum over the IPv6 pseudo
// header, independently of the service's code.
func l4Valid6(frame []byte) bool {
	n := int(binary.BigEndian.Uint16(frame[18:]))
	seg := frame[54 : 54+n]
	return naiveSum(frame[22:54], []byte{0, 0, byte(n >> 8), byte(n), 0, 0, 0, frame[20]}, seg) == 0xffff
}

func TestSegmenterTCPv6(t *testing.T) {
	const mss = 1000
	payload := make([]byte, 3*mss+77)
	for i := range payload {
		payload[i] = byte(i * 11)
	}
	agg := aggregate6(t, layers.IPProtocolTCP, payload)
	s := segmenter{buf: make([]byte, 2048)}
	if s.init(agg, vnetHdr{gsoType: vnetGSOTCPv4, gsoSize: mss}) {
		t.Fatal("init took an IPv6 aggregate marked TCPv4")
	}
	if !s.init(agg, vnetHdr{gsoType: vnetGSOTCPv6, gsoSize: mss, flags: vnetNeedsCsum}) {
		t.Fatal("init refused a TCPv6 aggregate")
	}
	var stream []byte
	k := 0
	for seg := s.next(); seg != nil; seg = s.next() {
		p := gopacket.NewPacket(seg, layers.LayerTypeEthernet, gopacket.Default)
		ip := p.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
		tcp := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		last := len(stream)+len(tcp.Payload) == len(payload)
		if int(ip.Length)+54 != len(seg) {
			t.Errorf("segment %d: IPv6 payload length %d, frame %d", k, ip.Length, len(seg))
		}
		if !l4Valid6(seg) {
			t.Errorf("segment %d: bad TCP checksum", k)
		}
		if tcp.Seq != 0xfffff000+uint32(len(stream)) || tcp.FIN != last || tcp.PSH != last {
			t.Errorf("segment %d: seq %#x FIN %v PSH %v", k, tcp.Seq, tcp.FIN, tcp.PSH)
		}
		stream = append(stream, tcp.Payload...)
		k++
	}
	if k != 4 || !bytes.Equal(stream, payload) {
		t.Fatalf("%d segments carrying %d bytes, want 4 carrying the %d-byte payload", k, len(stream), len(payload))
	}
}

func TestSegmenterUDPv6AndChecksum(t *testing.T) {
	payload := make([]byte, 2500)
	for i := range payload {
		payload[i] = byte(i)
	}
	agg := aggregate6(t, layers.IPProtocolUDP, payload)
	s := segmenter{buf: make([]byte, 2048)}
	if !s.init(agg, vnetHdr{gsoType: vnetGSOUDPL4, gsoSize: 1000}) {
		t.Fatal("init refused a UDPv6 aggregate")
	}
	k := 0
	for seg := s.next(); seg != nil; seg = s.next() {
		if !l4Valid6(seg) || int(binary.BigEndian.Uint16(seg[58:])) != len(seg)-54 {
			t.Errorf("segment %d: bad UDP checksum or length", k)
		}
		k++
	}
	if k != 3 {
		t.Errorf("%d segments, want 3", k)
	}
	// A partial checksum completed over the IPv6 payload only (padding
	// after it left out).
	one := aggregate6(t, layers.IPProtocolUDP, payload[:100])
	padded := append(append([]byte(nil), one...), 0xaa, 0xbb)
	if !completeChecksum(padded, 54, 6) || !l4Valid6(padded) {
		t.Errorf("completeChecksum over IPv6 gave a bad UDP checksum")
	}
}
