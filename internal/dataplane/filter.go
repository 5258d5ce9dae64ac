package dataplane

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// Packet types of sockaddr_ll.sll_pkttype (linux/if_packet.h), as the BPF
// ancillary load SKF_AD_PKTTYPE returns them.
const (
	pktOutgoing = 4 // PACKET_OUTGOING
	snapAll     = 0x40000
)

// captureFilter returns the classic BPF program attached to the ring at a
// source ENI's fabric-side veth, which captures both directions. It drops
// every frame whose skb mark is the service's own (the mirror datagrams,
// so the service never mirrors its own traffic) and keeps the rest whole;
// the reader tells the direction by the packet type (ring.read):
//
//   - egress (what the instance sends) arrives at the fabric end: any type
//     but PACKET_OUTGOING (host, broadcast, multicast, otherhost);
//   - ingress (what the instance receives) leaves the fabric end:
//     PACKET_OUTGOING.
//
// The equivalent tcpdump-style text is shown by filterText.
func captureFilter(mark uint32) ([]bpf.RawInstruction, error) {
	// Jump targets are relative: instruction i with skip k goes to i+1+k.
	raw, err := bpf.Assemble([]bpf.Instruction{
		/* 0 */ bpf.LoadExtension{Num: bpf.ExtMark},
		/* 1 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: mark, SkipTrue: 1}, // → drop (3)
		/* 2 */ bpf.RetConstant{Val: snapAll},
		/* 3 */ bpf.RetConstant{Val: 0},
	})
	if err != nil {
		return nil, fmt.Errorf("assemble capture filter: %w", err)
	}
	return raw, nil
}

// filterText describes captureFilter in words, for logs.
func filterText(mark uint32) string {
	return fmt.Sprintf("skb mark != %#x", mark)
}
