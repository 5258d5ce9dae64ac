package pipeline

import (
	"encoding/binary"
	"time"

	"github.com/mirrorlab/mirrorlab/agent/internal/frame"
	"github.com/mirrorlab/mirrorlab/agent/internal/geneve"
	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
	"github.com/mirrorlab/mirrorlab/agent/internal/metrics"
	"github.com/mirrorlab/mirrorlab/agent/internal/vxlan"
)

// FrameKind says what a captured frame holds.
type FrameKind uint8

// Frame kinds of captured (AF_PACKET, pcap) input.
const (
	// FramesVXLAN: outer frames carrying VXLAN in UDP.
	FramesVXLAN FrameKind = iota
	// FramesInner: frames the kernel already decapsulated (a vxlan device).
	FramesInner
	// FramesAuto: VXLAN when the frame is UDP to the VXLAN port, else inner.
	FramesAuto
)

// Decoder decodes packets for an Engine. Use one per input goroutine.
type Decoder struct {
	e    *Engine
	c    *metrics.Counters
	ip   frame.IP
	in   frame.Inner
	vnis *metrics.VNICache
}

// NewDecoder returns a decoder feeding e.
func (e *Engine) NewDecoder() *Decoder {
	return &Decoder{e: e, c: e.cfg.Counters, vnis: metrics.NewVNICache(e.cfg.Counters)}
}

// Datagram handles one UDP payload (starting with the VXLAN header, or
// with Config.Geneve the GENEVE header), as read from a UDP socket.
func (d *Decoder) Datagram(b []byte, ts time.Time) {
	d.c.Packets.Add(1)
	d.c.Bytes.Add(uint64(len(b)))
	if d.e.cfg.Geneve {
		d.geneve(b, ts)
		return
	}
	d.vxlan(b, ts)
}

// geneve strips a GENEVE header and its options (a Gateway Load
// Balancer's: the endpoint id, attachment id and flow cookie TLVs are not
// needed to decode), then the IPv4 or IPv6 and UDP headers of the VXLAN
// datagram it carries, and decodes that.
func (d *Decoder) geneve(b []byte, ts time.Time) {
	h, payload, err := geneve.Decode(b)
	if err != nil || (h.Protocol != geneve.ProtoIPv4 && h.Protocol != geneve.ProtoIPv6) {
		d.c.GeneveErrors.Add(1)
		return
	}
	if r := d.ip.Decode(payload); r != frame.OK {
		d.c.GeneveErrors.Add(1)
		return
	}
	vx, r := frame.UDPPayload(&d.ip, d.e.cfg.VXLANPort)
	if r != frame.OK {
		d.c.GeneveErrors.Add(1)
		return
	}
	d.c.Geneve.Add(1)
	d.vxlan(vx, ts)
}

func (d *Decoder) vxlan(b []byte, ts time.Time) {
	vni, inner, err := vxlan.Decode(b)
	switch err {
	case nil:
	case vxlan.ErrNoIFlag:
		d.c.VXLANNoIFlag.Add(1)
		return
	default:
		d.c.VXLANTruncated.Add(1)
		return
	}
	if d.e.vnis != nil {
		if _, ok := d.e.vnis[vni]; !ok {
			d.c.VNIRejected.Add(1)
			return
		}
	}
	d.vnis.Inc(vni)
	d.inner(vni, inner, ts)
}

func (d *Decoder) inner(vni uint32, inner []byte, ts time.Time) {
	if d.e.cfg.Tap != nil {
		d.e.cfg.Tap(vni, inner, ts)
	}
	in := &d.in
	if r := in.DecodeEthernet(inner); r != frame.OK {
		d.skipped(r)
		return
	}
	d.transport(vni, ts)
}

// skipped counts an inner packet that is not decoded. Of a fragmented TCP
// packet towards a watched port (IP fragments are not reassembled), the
// request lines in its first fragment are counted as requests lost to
// fragmentation.
func (d *Decoder) skipped(r frame.Result) {
	d.c.Inner[r].Add(1)
	ip := &d.in.IP
	if r != frame.Fragment || !ip.FirstFragment || ip.Protocol != protoTCP || len(ip.Payload) < 20 {
		return
	}
	b := ip.Payload
	if !d.e.watched(binary.BigEndian.Uint16(b[2:4])) {
		return
	}
	if off := int(b[12]>>4) * 4; off >= 20 && off <= len(b) {
		if n := httpparse.CountRequestLines(b[off:], d.e.group.Config().Limits.MaxHeader); n > 0 {
			d.c.RequestsFragmented.Add(uint64(n))
		}
	}
}

const protoTCP = 6

// transport finishes an inner packet whose IP header is decoded: TCP
// header, counters, the watched-port check, and the hand-off to reassembly.
func (d *Decoder) transport(vni uint32, ts time.Time) {
	in := &d.in
	if r := in.DecodeTCP(); r != frame.OK {
		d.c.Inner[r].Add(1)
		return
	}
	d.c.Inner[frame.OK].Add(1)
	if !d.e.watched(in.DstPort) && (d.e.cfg.Stream.Responses == nil || !d.e.watched(in.SrcPort)) {
		// With responses on (shadow testing), packets from a watched port
		// are the responses and go to reassembly too.
		d.c.OtherPort.Add(1)
		return
	}
	if d.e.cfg.Inline {
		d.e.reassemble(in, vni, ts)
		return
	}
	d.e.enqueue(in, vni, ts)
}

// Frame handles one captured frame (Ethernet when ethernet is true, raw IP
// otherwise) of the given kind.
func (d *Decoder) Frame(b []byte, ethernet bool, kind FrameKind, ts time.Time) {
	d.c.Packets.Add(1)
	d.c.Bytes.Add(uint64(len(b)))
	if kind == FramesInner {
		d.innerFrame(b, ethernet, ts)
		return
	}
	payload, r := frame.OuterVXLAN(&d.ip, b, ethernet, d.e.cfg.VXLANPort)
	if r == frame.OK {
		d.vxlan(payload, ts)
		return
	}
	if r == frame.OtherUDPPort {
		if g, gr := frame.UDPPayload(&d.ip, geneve.Port); gr == frame.OK {
			d.geneve(g, ts)
			return
		}
	}
	if kind == FramesAuto && (r == frame.NotUDP || r == frame.OtherUDPPort) {
		d.innerFrame(b, ethernet, ts)
		return
	}
	d.c.Outer[r].Add(1)
}

func (d *Decoder) innerFrame(b []byte, ethernet bool, ts time.Time) {
	if ethernet {
		d.inner(0, b, ts)
		return
	}
	// Raw IP (e.g. a pcap of LINKTYPE_RAW): no Ethernet header, so no tap
	// (the decapsulated pcapng holds Ethernet frames).
	in := &d.in
	if r := in.DecodeIP(b); r != frame.OK {
		d.skipped(r)
		return
	}
	d.transport(0, ts)
}
