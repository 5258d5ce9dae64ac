package sim

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// validationErrors unpacks Validate's joined error.
func validationErrors(t *testing.T, err error) []*ValidationError {
	t.Helper()
	if err == nil {
		return nil
	}
	var out []*ValidationError
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ve *ValidationError
		if !errors.As(e, &ve) {
			t.Fatalf("error %v is not a *ValidationError", e)
		}
		out = append(out, ve)
	}
	return out
}

func TestWalkthroughValidates(t *testing.T) {
	if err := walkthrough().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	p := netip.MustParsePrefix
	a := netip.MustParseAddr
	cases := []struct {
		name  string
		edit  func(*Topology)
		field string
		want  string // in the message
	}{
		{"no VPC", func(t *Topology) { t.VPCs = nil; t.Instances = nil }, "VPCs", "at least one"},
		{"VPC name empty", func(t *Topology) { t.VPCs[0].Name = ""; t.Instances = nil }, "VPCs[0].Name", "required"},
		{"VPC name bad char", func(t *Topology) { t.VPCs[0].Name = "a.b"; t.Instances = nil }, "VPCs[0].Name", "only letters"},
		{"VPC name duplicate", func(t *Topology) { t.VPCs = append(t.VPCs, t.VPCs[0]) }, "VPCs[1].Name", "already used by VPCs[0]"},
		{"VPC CIDR missing", func(t *Topology) { t.VPCs[0].CIDR = netip.Prefix{} }, "VPCs[0].CIDR", "required"},
		{"VPC CIDR IPv6", func(t *Topology) { t.VPCs[0].CIDR = p("fd00::/64") }, "VPCs[0].CIDR", "not an IPv4"},
		{"VPC CIDR too big", func(t *Topology) { t.VPCs[0].CIDR = p("10.0.0.0/8") }, "VPCs[0].CIDR", "between /16 and /28"},
		{"VPC CIDR host bits", func(t *Topology) { t.VPCs[0].CIDR = p("10.0.0.1/24") }, "VPCs[0].CIDR", "did you mean 10.0.0.0/24"},
		{"subnet outside VPC", func(t *Topology) { t.VPCs[0].Subnets[2].CIDR = p("10.0.1.32/28") }, "VPCs[0].Subnets[2].CIDR", "not inside VPC vpc"},
		{"subnet larger than VPC", func(t *Topology) { t.VPCs[0].Subnets[2].CIDR = p("10.0.0.0/23") }, "VPCs[0].Subnets[2].CIDR", "not inside VPC"},
		{"subnets overlap", func(t *Topology) { t.VPCs[0].Subnets[1].CIDR = p("10.0.0.0/27") }, "VPCs[0].Subnets[1].CIDR", "overlaps VPCs[0].Subnets[0] public"},
		{"subnet name duplicate", func(t *Topology) { t.VPCs[0].Subnets[1].Name = "public" }, "VPCs[0].Subnets[1].Name", "already used"},
		{"subnet too small", func(t *Topology) { t.VPCs[0].Subnets[2].CIDR = p("10.0.0.32/29") }, "VPCs[0].Subnets[2].CIDR", "between /16 and /28"},
		{"instance name duplicate", func(t *Topology) { t.Instances[3].Name = "prod" }, "Instances[3].Name", "already used by Instances[0]"},
		{"instance name with dot", func(t *Topology) { t.Instances[3].Name = "fabric.vpc" }, "Instances[3].Name", "only letters"},
		{"instance name too long", func(t *Topology) { t.Instances[3].Name = strings.Repeat("x", 49) }, "Instances[3].Name", "longer than 48"},
		{"instance unknown VPC", func(t *Topology) { t.Instances[1].VPC = "nope" }, "Instances[1].VPC", `no VPC named "nope"`},
		{"instance without ENI", func(t *Topology) { t.Instances[2].ENIs = nil }, "Instances[2].ENIs", "at least one"},
		{"ENI name too long", func(t *Topology) { t.Instances[0].ENIs[0].Name = "eth0123456789012" }, "Instances[0].ENIs[0].Name", "longer than 15"},
		{"ENI name lo", func(t *Topology) { t.Instances[0].ENIs[0].Name = "lo" }, "Instances[0].ENIs[0].Name", "reserved"},
		{"ENI name slash", func(t *Topology) { t.Instances[0].ENIs[0].Name = "eth/0" }, "Instances[0].ENIs[0].Name", "'/'"},
		{"ENI name duplicate", func(t *Topology) {
			t.Instances[0].ENIs = append(t.Instances[0].ENIs, ENISpec{Name: "eth0", Subnet: "test"})
		}, "Instances[0].ENIs[1].Name", "already used by Instances[0].ENIs[0]"},
		{"ENI unknown subnet", func(t *Topology) { t.Instances[0].ENIs[0].Subnet = "dmz" }, "Instances[0].ENIs[0].Subnet", `no subnet named "dmz"`},
		{"ENI IP outside subnet", func(t *Topology) { t.Instances[0].ENIs[0].IP = a("10.0.0.20") }, "Instances[0].ENIs[0].IP", "not in subnet public (10.0.0.0/28)"},
		{"ENI IP network", func(t *Topology) { t.Instances[0].ENIs[0].IP = a("10.0.0.0") }, "Instances[0].ENIs[0].IP", "reserved"},
		{"ENI IP router", func(t *Topology) { t.Instances[0].ENIs[0].IP = a("10.0.0.1") }, "Instances[0].ENIs[0].IP", "reserved"},
		{"ENI IP DNS", func(t *Topology) { t.Instances[0].ENIs[0].IP = a("10.0.0.2") }, "Instances[0].ENIs[0].IP", "reserved"},
		{"ENI IP future", func(t *Topology) { t.Instances[0].ENIs[0].IP = a("10.0.0.3") }, "Instances[0].ENIs[0].IP", "reserved"},
		{"ENI IP broadcast", func(t *Topology) { t.Instances[0].ENIs[0].IP = a("10.0.0.15") }, "Instances[0].ENIs[0].IP", "reserved"},
		{"ENI IP IPv6", func(t *Topology) { t.Instances[0].ENIs[0].IP = a("fd00::5") }, "Instances[0].ENIs[0].IP", "not an IPv4"},
		{"ENI IP duplicate", func(t *Topology) {
			t.Instances[0].ENIs[0].IP = a("10.0.0.5")
			t.Instances[3].ENIs[0].IP = a("10.0.0.5")
		}, "Instances[3].ENIs[0].IP", "already assigned to Instances[0].ENIs[0]"},
		{"ENI MTU too small", func(t *Topology) { t.Instances[0].ENIs[0].MTU = 500 }, "Instances[0].ENIs[0].MTU", "out of range"},
		{"ENI MTU too big", func(t *Topology) { t.Instances[0].ENIs[0].MTU = 9002 }, "Instances[0].ENIs[0].MTU", "out of range"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			topo := walkthrough()
			c.edit(&topo)
			errs := validationErrors(t, topo.Validate())
			if len(errs) == 0 {
				t.Fatal("Validate accepted the topology")
			}
			for _, e := range errs {
				if e.Field == c.field && strings.Contains(e.Message, c.want) {
					return
				}
			}
			t.Fatalf("no error on field %s containing %q; got %v", c.field, c.want, errs)
		})
	}
}

func TestValidateReportsEverything(t *testing.T) {
	topo := walkthrough()
	topo.VPCs[0].Subnets[0].CIDR = netip.MustParsePrefix("10.0.0.1/28")
	topo.Instances[1].VPC = ""
	topo.Instances[2].ENIs[0].MTU = 1
	errs := validationErrors(t, topo.Validate())
	got := map[string]bool{}
	for _, e := range errs {
		got[e.Field] = true
		if !strings.HasPrefix(e.Error(), e.Field+": ") {
			t.Errorf("Error() = %q, want the field first", e.Error())
		}
	}
	for _, f := range []string{"VPCs[0].Subnets[0].CIDR", "Instances[1].VPC", "Instances[2].ENIs[0].MTU"} {
		if !got[f] {
			t.Errorf("missing an error on %s; got %v", f, errs)
		}
	}
}

func TestResolveAssignsLikeAWS(t *testing.T) {
	topo := walkthrough()
	// An explicit address in the middle of the sequence is skipped.
	topo.Instances[3].ENIs[0].IP = netip.MustParseAddr("10.0.0.5")
	topo.Instances[3].ENIs[0].MTU = 1500
	topo.Instances = append(topo.Instances, InstanceSpec{Name: "extra", VPC: "vpc", ENIs: []ENISpec{
		{Name: "eth0", Subnet: "public"}, {Name: "eth1", Subnet: "test"},
	}})
	before := topo.Instances[0].ENIs[0]
	r, err := topo.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if topo.Instances[0].ENIs[0] != before {
		t.Fatal("Resolve changed the caller's topology")
	}
	want := map[string]string{
		"prod/eth0": "10.0.0.4", "adapter/eth0": "10.0.0.20", "testsrv/eth0": "10.0.0.36",
		"client/eth0": "10.0.0.5", "extra/eth0": "10.0.0.6", "extra/eth1": "10.0.0.37",
	}
	for _, in := range r.Instances {
		for _, e := range in.ENIs {
			k := in.Name + "/" + e.Name
			if e.IP.String() != want[k] {
				t.Errorf("%s: IP %s, want %s", k, e.IP, want[k])
			}
			wantMTU := DefaultMTU
			if k == "client/eth0" {
				wantMTU = 1500
			}
			if e.MTU != wantMTU {
				t.Errorf("%s: MTU %d, want %d", k, e.MTU, wantMTU)
			}
		}
	}
}

func TestResolveExhaustsSubnet(t *testing.T) {
	topo := walkthrough()
	topo.Instances = topo.Instances[:1]
	// A /28 has 16 addresses, 5 reserved: 11 assignable.
	for i := range 11 {
		topo.Instances[0].ENIs = append(topo.Instances[0].ENIs, ENISpec{Name: "e" + string(rune('a'+i)), Subnet: "adapter"})
	}
	r, err := topo.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	last := r.Instances[0].ENIs[11].IP
	if last.String() != "10.0.0.30" {
		t.Fatalf("11th address in 10.0.0.16/28 = %s, want 10.0.0.30 (10.0.0.31 is reserved)", last)
	}
	topo.Instances[0].ENIs = append(topo.Instances[0].ENIs, ENISpec{Name: "ez", Subnet: "adapter"})
	errs := validationErrors(t, func() error { _, err := topo.Resolve(); return err }())
	if len(errs) != 1 || errs[0].Field != "Instances[0].ENIs[12].IP" || !strings.Contains(errs[0].Message, "no free address") {
		t.Fatalf("want one exhaustion error on Instances[0].ENIs[12].IP, got %v", errs)
	}
}
