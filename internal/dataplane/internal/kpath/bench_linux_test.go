package kpath

import (
	"net/netip"
	"testing"

	"github.com/cilium/ebpf"
)

// BenchmarkDecide measures the kernel's decision per packet through
// BPF_PROG_TEST_RUN (the probe program: decide alone; the egress socket
// filter: what each ring's packet pays), for a first-rule accept and for
// a walk through MaxRules rules that match nothing (the worst case), and
// the probe's two over IPv6. The
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
	// The same over IPv6: IPv6 rules, an IPv6 segment.
	any6 := pfx("::/0")
	first6 := []Rule{{Group: 1, Accept: true, Src: any6, Dst: any6, Slot: slotA}}
	worst6 := make([]Rule, MaxRules)
	for i := range worst6 {
		worst6[i] = worst[i]
		worst6[i].Src, worst6[i].Dst = pfx("2001:db8:9::/48"), any6
	}
	frame6 := with(tcpTo(40000, 80), func(k *pkt) { k.src, k.dst = netip.MustParseAddr("2001:db8::5"), netip.MustParseAddr("2001:db8:1::3") }).build()
	for _, c := range []struct {
		name  string
		rules []Rule
		prog  *ebpf.Program
		ctx   skbCtx
		data  []byte
	}{
		{"probe/first-rule", first, p.objs.KpathProbe, skbCtx{CB: [5]uint32{Egress}}, frame},
		{"probe/40-rules-no-match", worst, p.objs.KpathProbe, skbCtx{CB: [5]uint32{Egress}}, frame},
		{"probe/ipv6-first-rule", first6, p.objs.KpathProbe, skbCtx{CB: [5]uint32{Egress}}, frame6},
		{"probe/ipv6-40-rules-no-match", worst6, p.objs.KpathProbe, skbCtx{CB: [5]uint32{Egress}}, frame6},
		{"socket-filter/first-rule", first, p.SocketFilter(Egress), skbCtx{}, append(make([]byte, 14, 14+len(frame)), frame...)},
		{"socket-filter/40-rules-no-match", worst, p.SocketFilter(Egress), skbCtx{}, append(make([]byte, 14, 14+len(frame)), frame...)},
	} {
		b.Run(c.name, func(b *testing.B) {
			if err := p.SetPort(testIfindex, Egress, Port{MAC: instMAC, Resolver: netip.Addr{}, Rules: c.rules, IPv6: true}); err != nil {
				b.Fatal(err)
			}
			if c.prog != p.objs.KpathProbe {
				c.data[12], c.data[13] = 0x08, 0x00 // the socket filter's throw-away header
			} else if v, want := got(probe(b, p, Egress, c.data, skbCtx{})), map[bool]verdict{true: kernel(slotA), false: punt(PuntNoMatch)}[len(c.rules) == 1]; v != want {
				b.Fatalf("verdict %v, want %v", v, want) // measure the path meant
			}
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
