package cloudmock

import (
	"encoding/binary"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/mirrorlab/mirrorlab/internal/encap"
)

// GENEVE as a Gateway Load Balancer sends it to its appliances (RFC 8926;
// the layout of AWS's blog "Integrate your custom logic or appliance with
// AWS Gateway Load Balancer" and of aws-samples' tunnel handler): UDP 6081,
// an 8-byte header (version 0, no O or C flag, VNI 0, protocol type the
// payload's EtherType: 0x0800 for the mirror copy's outer IPv4, 0x86DD when
// it reached a dual-stack endpoint over IPv6), then three
// options of class 0x0108 (AWS): the endpoint id (type 1, 8 bytes), the
// attachment id (type 2, 8 bytes) and the flow cookie (type 3, 4 bytes).
const (
	// geneveSrcPortBase: the outer UDP source port of a GWLB's GENEVE is
	// 49152 plus 14 bits of its flow hash (RFC 8926 section 3.3 asks for a
	// hash of the inner headers in the ephemeral range; AWS does not
	// document its choice).
	geneveSrcPortBase = 0xC000
	geneveSrcPortMask = 0x3FFF
)

// GeneveTunnel is how a Gateway Load Balancer wraps a copy for its
// appliance: the outer UDP source port and the three TLVs.
type GeneveTunnel struct {
	SrcPort      uint16
	EndpointID   uint64
	AttachmentID uint64
	FlowCookie   uint32
}

// gwlbFlowHash is the GWLB's flow hash of the datagram it receives (the
// mirror copy: UDP from the source ENI to the endpoint, from the copy's
// outer source port to 4789): symmetric in its two ends, so both
// directions of a flow would meet one appliance. Every copy of one inner
// flow, in both directions, carries one outer 5-tuple, so the copies of a
// connection stick to one appliance.
func gwlbFlowHash(o *Outer) uint64 {
	a, b, pa, pb := o.Src, o.Dst, o.SrcPort, o.DstPort
	if c := a.Compare(b); c > 0 || (c == 0 && pa > pb) {
		a, b, pa, pb = b, a, pb, pa
	}
	h := uint64(0x67776c6267656e76) ^ uint64(encap.ProtoUDP)
	h = mixAddr(h, a)
	h = mixAddr(h, b)
	return mix(h, uint64(pa)<<16|uint64(pb))
}

// tunnel is the GENEVE wrapping of a flow with hash h through lb.
func (lb *loadBalancer) tunnel(h uint64) GeneveTunnel {
	return GeneveTunnel{
		SrcPort:      geneveSrcPortBase | uint16(h&geneveSrcPortMask),
		EndpointID:   lb.endpointID,
		AttachmentID: lb.attachmentID,
		FlowCookie:   uint32(h >> 32),
	}
}

// endpointID64 is the 64-bit value a GWLB carries in its endpoint-id TLV
// for a VpcEndpointId: the hexadecimal digits of "vpce-<hex>" (AWS's ids,
// 17 digits whose value fits 64 bits; the tunnel handler prints them back
// as vpce-%017x), or, for any other name (a scenario's), the FNV-1a 64 hash
// of the whole id.
func endpointID64(vpcEndpointID string) uint64 {
	if hex, ok := strings.CutPrefix(vpcEndpointID, "vpce-"); ok && hex != "" && len(hex) <= 17 {
		if v, err := strconv.ParseUint(hex, 16, 64); err == nil {
			return v
		}
	}
	return fnv64(vpcEndpointID)
}

// attachmentID64 is the 64-bit attachment id a GWLB carries for an
// endpoint: AWS documents it only as the "customer visible attachment id";
// the model sends the FNV-1a 64 hash of "LoadBalancerArn|VpcEndpointId",
// stable for the pair.
func attachmentID64(arn, vpcEndpointID string) uint64 {
	return fnv64(arn + "|" + vpcEndpointID)
}

func fnv64(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// appendGeneveGWLB appends a GWLB's GENEVE header and options for a
// payload of EtherType proto (the copy's outer family as the endpoint
// received it: 0x0800 or 0x86DD).
func appendGeneveGWLB(dst []byte, t *GeneveTunnel, proto uint16) []byte {
	const words8, words4 = 2, 1 // option data lengths in 4-byte words
	dst = append(dst,
		encap.GWLBOptionsLen/4, 0, byte(proto>>8), byte(proto), // version 0, option length; no flags; protocol
		0, 0, 0, 0, // VNI 0, reserved
		encap.GeneveOptionClassAWS>>8, encap.GeneveOptionClassAWS&0xff, encap.GeneveOptionEndpointID, words8)
	dst = binary.BigEndian.AppendUint64(dst, t.EndpointID)
	dst = append(dst, encap.GeneveOptionClassAWS>>8, encap.GeneveOptionClassAWS&0xff, encap.GeneveOptionAttachmentID, words8)
	dst = binary.BigEndian.AppendUint64(dst, t.AttachmentID)
	dst = append(dst, encap.GeneveOptionClassAWS>>8, encap.GeneveOptionClassAWS&0xff, encap.GeneveOptionFlowCookie, words4)
	return binary.BigEndian.AppendUint32(dst, t.FlowCookie)
}
