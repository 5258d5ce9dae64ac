package pktgen

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/mirrorlab/mirrorlab/agent/internal/vxlan"
)

var (
	clientMAC = net.HardwareAddr{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}
	serverMAC = net.HardwareAddr{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}
)

// Flow is the client-to-server direction of one TCP connection.
type Flow struct {
	Client, Server netip.AddrPort
	// MSS is the largest segment payload (default 1448).
	MSS int
	seq uint32
}

// NewFlow returns a flow whose SYN carries sequence number isn.
func NewFlow(client, server netip.AddrPort, isn uint32) *Flow {
	return &Flow{Client: client, Server: server, MSS: 1448, seq: isn}
}

// Segment is one TCP segment of a flow.
type Segment struct {
	Seq      uint32
	SYN, FIN bool
	Payload  []byte
}

// SYN returns the connection's SYN segment.
func (f *Flow) SYN() Segment {
	s := Segment{Seq: f.seq, SYN: true}
	f.seq++
	return s
}

// Write cuts data into segments of at most MSS bytes.
func (f *Flow) Write(data []byte) []Segment {
	var out []Segment
	mss := f.MSS
	if mss <= 0 {
		mss = 1448
	}
	for len(data) > 0 {
		n := min(mss, len(data))
		out = append(out, Segment{Seq: f.seq, Payload: append([]byte(nil), data[:n]...)})
		f.seq += uint32(n)
		data = data[n:]
	}
	return out
}

// FIN returns the connection's FIN segment.
func (f *Flow) FIN() Segment {
	s := Segment{Seq: f.seq, FIN: true}
	f.seq++
	return s
}

// Frame returns s as an inner Ethernet frame of the flow.
func (f *Flow) Frame(s Segment) []byte {
	tcp := &layers.TCP{SrcPort: layers.TCPPort(f.Client.Port()), DstPort: layers.TCPPort(f.Server.Port()),
		Seq: s.Seq, Ack: 1, SYN: s.SYN, FIN: s.FIN, ACK: !s.SYN, PSH: len(s.Payload) > 0, Window: 64240}
	return mustSerialize(ipLayers(f.Client.Addr(), f.Server.Addr(), tcp, clientMAC, serverMAC), tcp, gopacket.Payload(s.Payload))
}

func ipLayers(src, dst netip.Addr, tl interface {
	SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
}, smac, dmac net.HardwareAddr) []gopacket.SerializableLayer {
	if src.Is4() {
		ip := &layers.IPv4{Version: 4, TTL: 64, Flags: layers.IPv4DontFragment, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
		switch tl.(type) {
		case *layers.TCP:
			ip.Protocol = layers.IPProtocolTCP
		default:
			ip.Protocol = layers.IPProtocolUDP
		}
		if err := tl.SetNetworkLayerForChecksum(ip); err != nil {
			panic(err) // only fails for a non-IP layer, a programming error
		}
		return []gopacket.SerializableLayer{&layers.Ethernet{SrcMAC: smac, DstMAC: dmac, EthernetType: layers.EthernetTypeIPv4}, ip}
	}
	ip := &layers.IPv6{Version: 6, HopLimit: 64, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
	switch tl.(type) {
	case *layers.TCP:
		ip.NextHeader = layers.IPProtocolTCP
	default:
		ip.NextHeader = layers.IPProtocolUDP
	}
	if err := tl.SetNetworkLayerForChecksum(ip); err != nil {
		panic(err)
	}
	return []gopacket.SerializableLayer{&layers.Ethernet{SrcMAC: smac, DstMAC: dmac, EthernetType: layers.EthernetTypeIPv6}, ip}
}

func mustSerialize(base []gopacket.SerializableLayer, rest ...gopacket.SerializableLayer) []byte {
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		append(base, rest...)...); err != nil {
		panic(fmt.Sprintf("pktgen: serialize: %v", err)) // fixed, valid layers: cannot fail
	}
	return append([]byte(nil), buf.Bytes()...)
}

// VXLAN returns the UDP payload carrying inner with vni.
func VXLAN(vni uint32, inner []byte) []byte {
	return append(vxlan.Append(make([]byte, 0, vxlan.HeaderLen+len(inner)), vni), inner...)
}

// Outer returns a whole outer Ethernet/IP/UDP frame from src:sport to
// dst:4789 carrying payload (a VXLAN datagram).
func Outer(src, dst netip.Addr, sport uint16, payload []byte) []byte {
	udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: vxlan.Port}
	return mustSerialize(ipLayers(src, dst, udp, net.HardwareAddr{0x06, 0, 0, 0, 0, 1}, net.HardwareAddr{0x06, 0, 0, 0, 0, 2}),
		udp, gopacket.Payload(payload))
}

// OuterPort is Outer with the destination port given (6081 for GENEVE).
func OuterPort(src, dst netip.Addr, sport, dport uint16, payload []byte) []byte {
	udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	return mustSerialize(ipLayers(src, dst, udp, net.HardwareAddr{0x06, 0, 0, 0, 0, 1}, net.HardwareAddr{0x06, 0, 0, 0, 0, 2}),
		udp, gopacket.Payload(payload))
}

// GeneveGWLB returns the UDP payload a Gateway Load Balancer sends its
// appliance for a copy: a GENEVE header (IPv4 payload, VNI 0) with AWS's
// three TLVs (endpoint id, attachment id, flow cookie), then the copy's
// IPv4/UDP datagram from src:sport to dst:4789 carrying vxlanPayload.
func GeneveGWLB(src, dst netip.Addr, sport uint16, vxlanPayload []byte, cookie uint32) []byte {
	g := []byte{
		0x08, 0x00, 0x08, 0x00, 0, 0, 0, 0,
		0x01, 0x08, 0x01, 0x02, 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f, 0x60, 0x71,
		0x01, 0x08, 0x02, 0x02, 0, 0, 0, 0, 0, 0, 0, 1,
		0x01, 0x08, 0x03, 0x01, byte(cookie >> 24), byte(cookie >> 16), byte(cookie >> 8), byte(cookie),
	}
	// The copy without its Ethernet header: the IP datagram.
	return append(g, Outer(src, dst, sport, vxlanPayload)[14:]...)
}
