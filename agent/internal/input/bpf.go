package input

import (
	"golang.org/x/net/bpf"
)

const (
	bpfKeep        = 0x40000
	packetOutgoing = 4 // PACKET_OUTGOING, from linux/if_packet.h
)

// captureFilter is the classic BPF program of a capture: it drops the
// frames the host itself sends (on lo every frame would otherwise be seen
// twice) and, when port is not 0, keeps only UDP to port (IPv4 with any
// header length, or IPv6 without extension headers).
func captureFilter(port uint16) ([]bpf.RawInstruction, error) {
	prog := []bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtType},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: packetOutgoing, SkipFalse: 1},
		bpf.RetConstant{Val: 0},
	}
	if port == 0 {
		prog = append(prog, bpf.RetConstant{Val: bpfKeep})
	} else {
		prog = append(prog, udpPortFilter(port)...)
	}
	return bpf.Assemble(prog)
}

// udpPortFilter keeps Ethernet frames carrying UDP to port.
func udpPortFilter(port uint16) []bpf.Instruction {
	const (
		etherType = 12
		ip4Proto  = 14 + 9
		ip6Next   = 14 + 6
		ip6DPort  = 14 + 40 + 2
	)
	return []bpf.Instruction{
		/* 0 */ bpf.LoadAbsolute{Off: etherType, Size: 2},
		/* 1 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x0800, SkipFalse: 5},
		/* 2 */ bpf.LoadAbsolute{Off: ip4Proto, Size: 1},
		/* 3 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: 17, SkipFalse: 9},
		/* 4 */ bpf.LoadMemShift{Off: 14},
		/* 5 */ bpf.LoadIndirect{Off: 14 + 2, Size: 2},
		/* 6 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(port), SkipTrue: 5, SkipFalse: 6},
		/* 7 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x86dd, SkipFalse: 5},
		/* 8 */ bpf.LoadAbsolute{Off: ip6Next, Size: 1},
		/* 9 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: 17, SkipFalse: 3},
		/* 10 */ bpf.LoadAbsolute{Off: ip6DPort, Size: 2},
		/* 11 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(port), SkipFalse: 1},
		/* 12 */ bpf.RetConstant{Val: bpfKeep},
		/* 13 */ bpf.RetConstant{Val: 0},
	}
}
