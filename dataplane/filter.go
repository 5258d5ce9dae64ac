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

// captureFilter returns the classic BPF program attached to the ring of one
// direction at a source ENI's fabric-side veth. It drops every frame whose
// skb mark is the service's own (the mirror datagrams, so the service never
// mirrors its own traffic) and keeps only one direction, read from the
// packet type:
//
//   - egress (what the instance sends) arrives at the fabric end: any type
//     but PACKET_OUTGOING (host, broadcast, multicast, otherhost);
//   - ingress (what the instance receives) leaves the fabric end:
//     PACKET_OUTGOING.
//
// The equivalent tcpdump-style text is shown by filterText.
func captureFilter(ingress bool, mark uint32) ([]bpf.RawInstruction, error) {
	// Jump targets are relative: instruction i with skip k goes to i+1+k.
	prog := []bpf.Instruction{
		/* 0 */ bpf.LoadExtension{Num: bpf.ExtMark},
		/* 1 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: mark, SkipTrue: 3}, // → drop (5)
		/* 2 */ bpf.LoadExtension{Num: bpf.ExtType},
		/* 3 */ nil, // direction test, below
		/* 4 */ bpf.RetConstant{Val: snapAll},
		/* 5 */ bpf.RetConstant{Val: 0},
	}
	if ingress { // keep outgoing
		prog[3] = bpf.JumpIf{Cond: bpf.JumpEqual, Val: pktOutgoing, SkipFalse: 1}
	} else { // keep all but outgoing
		prog[3] = bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: pktOutgoing, SkipFalse: 1}
	}
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return nil, fmt.Errorf("assemble capture filter: %w", err)
	}
	return raw, nil
}

// filterText describes captureFilter in words, for logs.
func filterText(ingress bool, mark uint32) string {
	if ingress {
		return fmt.Sprintf("skb mark != %#x and pkttype == outgoing", mark)
	}
	return fmt.Sprintf("skb mark != %#x and pkttype != outgoing", mark)
}
