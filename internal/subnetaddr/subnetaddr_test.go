package subnetaddr

import (
	"go/parser"
	"go/token"
	"math"
	"math/rand/v2"
	"net/netip"
	"os"
	"strings"
	"testing"
)

func TestRulesIPv4(t *testing.T) {
	p := netip.MustParsePrefix("10.0.0.17/28") // not masked: the rules mask it
	for _, c := range []struct {
		name      string
		got, want netip.Addr
	}{
		{"Base", Base(p), netip.MustParseAddr("10.0.0.16")},
		{"Gateway", Gateway(p), netip.MustParseAddr("10.0.0.17")},
		{"Resolver", Resolver(p), netip.MustParseAddr("10.0.0.18")},
		{"FirstUsable", FirstUsable(p), netip.MustParseAddr("10.0.0.20")},
		{"LastUsable", LastUsable(p), netip.MustParseAddr("10.0.0.30")},
		{"Last", Last(p), netip.MustParseAddr("10.0.0.31")},
		{"Last /16", Last(netip.MustParsePrefix("10.1.0.0/16")), netip.MustParseAddr("10.1.255.255")},
		{"Last /0", Last(netip.MustParsePrefix("0.0.0.0/0")), netip.MustParseAddr("255.255.255.255")},
		{"Last /32", Last(netip.MustParsePrefix("10.0.0.9/32")), netip.MustParseAddr("10.0.0.9")},
	} {
		if c.got != c.want {
			t.Errorf("%s = %s, want %s", c.name, c.got, c.want)
		}
	}
	var reserved []string
	for a := netip.MustParseAddr("10.0.0.14"); a.Less(netip.MustParseAddr("10.0.0.34")); a = a.Next() {
		if Reserved(p, a) {
			reserved = append(reserved, a.String())
		}
	}
	if got, want := strings.Join(reserved, " "), "10.0.0.16 10.0.0.17 10.0.0.18 10.0.0.19 10.0.0.31"; got != want {
		t.Errorf("reserved in %s: %s, want %s", p, got, want)
	}
}

func TestRulesIPv6(t *testing.T) {
	p := netip.MustParsePrefix("2001:db8:0:1::/64")
	for _, c := range []struct {
		name      string
		got, want netip.Addr
	}{
		{"Gateway", Gateway(p), netip.MustParseAddr("2001:db8:0:1::1")},
		{"Resolver", Resolver(p), netip.MustParseAddr("2001:db8:0:1::2")},
		{"FirstUsable", FirstUsable(p), netip.MustParseAddr("2001:db8:0:1::4")},
		{"Last", Last(p), netip.MustParseAddr("2001:db8:0:1:ffff:ffff:ffff:ffff")},
		{"LastUsable", LastUsable(p), netip.MustParseAddr("2001:db8:0:1:ffff:ffff:ffff:fffe")},
		{"Last /61", Last(netip.MustParsePrefix("2001:db8::/61")), netip.MustParseAddr("2001:db8:0:7:ffff:ffff:ffff:ffff")},
	} {
		if c.got != c.want {
			t.Errorf("%s = %s, want %s", c.name, c.got, c.want)
		}
	}
	for _, c := range []struct {
		a    string
		want bool
	}{{"2001:db8:0:1::", true}, {"2001:db8:0:1::3", true}, {"2001:db8:0:1::4", false},
		{"2001:db8:0:1:ffff:ffff:ffff:fffe", false}, {"2001:db8:0:1:ffff:ffff:ffff:ffff", true},
		{"2001:db8:0:2::", false}, {"10.0.0.0", false}} {
		if got := Reserved(p, netip.MustParseAddr(c.a)); got != c.want {
			t.Errorf("Reserved(%s, %s) = %v, want %v", p, c.a, got, c.want)
		}
	}
}

func TestAssignable(t *testing.T) {
	for _, c := range []struct {
		p    string
		want uint64
	}{{"10.0.0.0/28", 11}, {"10.0.0.0/24", 251}, {"10.0.0.0/16", 65531}, {"10.0.0.0/29", 3},
		{"10.0.0.0/30", 0}, {"10.0.0.0/32", 0}, {"2001:db8::/64", math.MaxUint64}, {"2001:db8::/120", 251}} {
		if got := Assignable(netip.MustParsePrefix(c.p)); got != c.want {
			t.Errorf("Assignable(%s) = %d, want %d", c.p, got, c.want)
		}
	}
	if Assignable(netip.Prefix{}) != 0 {
		t.Error("the zero Prefix has assignable addresses")
	}
}

// lowestFree is the rule the allocator must follow, written the slow way.
func lowestFree(p netip.Prefix, taken map[netip.Addr]bool) (netip.Addr, bool) {
	for a := Base(p); p.Contains(a); a = a.Next() {
		if !Reserved(p, a) && !taken[a] {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// TestAllocatorIsLowestFree: with random addresses taken beforehand, every
// address handed out is the lowest free one, until the subnet is full,
// and then every further call says so.
func TestAllocatorIsLowestFree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, ps := range []string{"10.0.0.0/28", "10.0.1.0/24", "2001:db8::/120", "10.0.0.0/30"} {
		p := netip.MustParsePrefix(ps)
		for round := range 20 {
			taken := map[netip.Addr]bool{}
			for a := Base(p); p.Contains(a); a = a.Next() {
				if rng.IntN(3) == 0 {
					taken[a] = true
				}
			}
			al := NewAllocator(p)
			for i := 0; ; i++ {
				want, wantOK := lowestFree(p, taken)
				got, ok := al.Next(func(a netip.Addr) bool { return taken[a] })
				if got != want || ok != wantOK {
					t.Fatalf("%s round %d, call %d: Next = %s %v, want %s %v", p, round, i, got, ok, want, wantOK)
				}
				if !ok {
					break
				}
				taken[got] = true
			}
			if _, ok := al.Next(nil); ok {
				t.Fatalf("%s: Next after full handed out an address", p)
			}
		}
	}
}

func TestAllocatorIPv6AndNilTaken(t *testing.T) {
	al := NewAllocator(netip.MustParsePrefix("2001:db8:0:1::/64"))
	var got []string
	for range 3 {
		a, ok := al.Next(nil)
		if !ok {
			t.Fatal("a /64 is full")
		}
		got = append(got, a.String())
	}
	if s := strings.Join(got, " "); s != "2001:db8:0:1::4 2001:db8:0:1::5 2001:db8:0:1::6" {
		t.Errorf("handed out %s", s)
	}
	if _, ok := NewAllocator(netip.Prefix{}).Next(nil); ok {
		t.Error("the zero Prefix handed out an address")
	}
}

// TestImportsOnlyStandardLibrary: sim imports this package and must not
// depend on the provider model (DESIGN.md section 1), so nothing here may
// import anything but the standard library.
func TestImportsOnlyStandardLibrary(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range f.Imports {
			if path := strings.Trim(im.Path.Value, `"`); strings.Contains(strings.SplitN(path, "/", 2)[0], ".") {
				t.Errorf("%s imports %s: only the standard library is allowed", e.Name(), path)
			}
		}
	}
}

// BenchmarkAllocatorFill hands out every address of a /16.
func BenchmarkAllocatorFill(b *testing.B) {
	p := netip.MustParsePrefix("10.1.0.0/16")
	b.ReportAllocs()
	for b.Loop() {
		al := NewAllocator(p)
		for {
			if _, ok := al.Next(nil); !ok {
				break
			}
		}
	}
}
