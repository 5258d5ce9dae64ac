package input

import (
	"golang.org/x/net/bpf"
)

// vxlanFilter is a classic BPF program that keeps Ethernet frames carrying
// UDP to port (IPv4 with any header length, or IPv6 without extension
// headers) and drops everything else in the kernel, before the ring.
func vxlanFilter(port uint16) ([]bpf.RawInstruction, error) {
	const (
		etherType = 12
		ip4Proto  = 14 + 9
		ip6Next   = 14 + 6
		ip6DPort  = 14 + 40 + 2
		keep      = 0x40000
	)
	return bpf.Assemble([]bpf.Instruction{
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
		/* 12 */ bpf.RetConstant{Val: keep},
		/* 13 */ bpf.RetConstant{Val: 0},
	})
}
