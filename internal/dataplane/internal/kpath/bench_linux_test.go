package kpath

import (
	"net/netip"
	"testing"

	"github.com/cilium/ebpf"
)

// BenchmarkDecide measures the kernel's decision per packet through
// BPF_PROG_TEST_RUN (the probe program: decide alone; the egress socket
// filter: what each ring's packet pays), for a first-rule accept and for
// a walk through MaxRules rules that match nothing (the worst case). The
// figure to read is the kernel's own ns/op; the syscall is amortised
// over b.N repeats. Needs root (skips otherwise).
func BenchmarkDecide(b *testing.B) {
	p := loadPath(b)
	if err := p.SetSession(slotA, Session{VNI: 1, OuterSrc: inst, OuterDst: inst, ReceiverIfindex: noReceiver}); err != nil {
		b.Fatal(err)
	}
	first := []Rule{{Group: 1, Accept: true, Src: anyNet, Dst: anyNet, Slot: slotA}}
	worst := make([]Rule, MaxRules)
	for i := range worst {
		worst[i] = Rule{Group: uint16(i / 10), Accept: true, Proto: 6, Src: pfx("10.9.0.0/16"), Dst: anyNet, DstPorts: &PortRange{1, 1024}, Slot: slotA}
	}
	frame := tcpTo(40000, 80).build()
	for _, c := range []struct {
		name  string
		rules []Rule
		prog  *ebpf.Program
		ctx   skbCtx
		data  []byte
	}{
		{"probe/first-rule", first, p.objs.KpathProbe, skbCtx{CB: [5]uint32{Egress}}, frame},
		{"probe/40-rules-no-match", worst, p.objs.KpathProbe, skbCtx{CB: [5]uint32{Egress}}, frame},
		{"socket-filter/first-rule", first, p.SocketFilter(Egress), skbCtx{}, append(make([]byte, 14, 14+len(frame)), frame...)},
		{"socket-filter/40-rules-no-match", worst, p.SocketFilter(Egress), skbCtx{}, append(make([]byte, 14, 14+len(frame)), frame...)},
	} {
		b.Run(c.name, func(b *testing.B) {
			if err := p.SetPort(testIfindex, Egress, Port{MAC: instMAC, Resolver: netip.Addr{}, Rules: c.rules}); err != nil {
				b.Fatal(err)
			}
			c.data[12], c.data[13] = 0x08, 0x00 // the socket filter's throw-away header
			b.ResetTimer()
			if _, err := c.prog.Run(&ebpf.RunOptions{Data: c.data, Context: c.ctx, Repeat: uint32(b.N)}); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkLoad measures Load: the verifier's work on the programs, which
// a mirror service pays once per fabric when it starts. Needs root
// (skips otherwise).
func BenchmarkLoad(b *testing.B) {
	loadPath(b) // root, and the programs load at all
	for b.Loop() {
		p, err := Load()
		if err != nil {
			b.Fatal(err)
		}
		if err := p.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
