package input

import (
	"net/netip"
	"testing"

	"golang.org/x/net/bpf"

	"github.com/mirrorlab/mirrorlab/agent/internal/pktgen"
)

func TestVXLANFilter(t *testing.T) {
	// The VM of x/net/bpf has no packet-type extension: run the port part
	// (the whole program is checked on a real socket in the agent's
	// AF_PACKET test).
	if _, err := captureFilter(4789); err != nil {
		t.Fatal(err)
	}
	vm, err := bpf.NewVM(udpPortFilter(4789))
	if err != nil {
		t.Fatal(err)
	}
	f := pktgen.NewFlow(netip.MustParseAddrPort("10.0.0.5:1000"), netip.MustParseAddrPort("10.0.0.10:80"), 1)
	inner := f.Frame(f.SYN())
	v4 := pktgen.Outer(netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), 50000, pktgen.VXLAN(1, inner))
	v6 := pktgen.Outer(netip.MustParseAddr("fd00::1"), netip.MustParseAddr("fd00::2"), 50000, pktgen.VXLAN(1, inner))
	v4opts := append([]byte(nil), v4...)
	// An IPv4 header with options (IHL 6): shift the UDP header by 4.
	v4opts = append(append(append([]byte(nil), v4opts[:34]...), 1, 1, 1, 1), v4opts[34:]...)
	v4opts[14] = 0x46
	otherPort := append([]byte(nil), v4...)
	otherPort[14+20+3]++ // destination port 4790
	for name, tc := range map[string]struct {
		frame []byte
		keep  bool
	}{
		"ipv4":         {v4, true},
		"ipv6":         {v6, true},
		"ipv4 options": {v4opts, true},
		"other port":   {otherPort, false},
		"tcp":          {inner, false},
		"short":        {v4[:13], false},
	} {
		n, err := vm.Run(tc.frame)
		if err != nil && tc.keep {
			t.Errorf("%s: %v", name, err)
		}
		if (n > 0) != tc.keep {
			t.Errorf("%s: filter returned %d, want keep=%v", name, n, tc.keep)
		}
	}
}
