package spec

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// TestAddressesWhenTheSubnetFills: in a /28 (eleven usable addresses, one
// given explicitly in the middle), thirteen interfaces without an address
// get .4 to .14 but the given one, in file order, and the last three are
// each reported once; the other subnet still hands out its first address.
func TestAddressesWhenTheSubnetFills(t *testing.T) {
	var b strings.Builder
	b.WriteString(`name: t
network:
  vpcs:
    - name: vpc
      CidrBlock: 10.0.0.0/24
      subnets:
        - {name: a, CidrBlock: 10.0.0.0/28}
        - {name: b, CidrBlock: 10.0.0.16/28}
  instances:
    - {name: fixed, networkInterfaces: [{name: fixed-eni, SubnetId: a, PrivateIpAddress: 10.0.0.9}]}
`)
	for i := range 13 {
		fmt.Fprintf(&b, "    - {name: i%d, networkInterfaces: [{name: e%d, SubnetId: a}]}\n", i, i)
	}
	b.WriteString("    - {name: other, networkInterfaces: [{name: other-eni, SubnetId: b}]}\n")
	s, err := Parse("t.yaml", []byte(b.String()))
	ps := AsProblems(err)
	if len(ps) != 3 {
		t.Fatalf("want 3 problems, got %v", err)
	}
	for k, p := range ps {
		if want := fmt.Sprintf("network.instances[i%d].networkInterfaces[e%d]", 10+k, 10+k); p.Path != want || !strings.Contains(p.Message, `subnet "a" (10.0.0.0/28) has no free address left`) || p.Line != 21+k {
			t.Errorf("problem %d = %v (path %s), want %s at line %d", k, p, p.Path, want, 21+k)
		}
	}
	want := []string{"10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.0.7", "10.0.0.8", "10.0.0.10", "10.0.0.11", "10.0.0.12", "10.0.0.13", "10.0.0.14"}
	for i, w := range want {
		if a, ok := s.Addr(fmt.Sprintf("e%d", i)); !ok || a != netip.MustParseAddr(w) {
			t.Errorf("e%d = %v %v, want %s", i, a, ok, w)
		}
	}
	if a, ok := s.Addr("other-eni"); !ok || a != netip.MustParseAddr("10.0.0.20") {
		t.Errorf("other-eni = %v %v", a, ok)
	}
}
