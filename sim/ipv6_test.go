package sim

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// dualStack is the walk-through with the IPv6 block 2001:db8:0:100::/56,
// a /64 per subnet, and an IPv6 address on every ENI.
func dualStack() Topology {
	t := walkthrough()
	t.VPCs[0].IPv6CIDR = netip.MustParsePrefix("2001:db8:0:100::/56")
	for i, n := range []string{"100", "101", "102"} {
		t.VPCs[0].Subnets[i].IPv6CIDR = netip.MustParsePrefix("2001:db8:0:" + n + "::/64")
	}
	for i, a := range []string{"2001:db8:0:100::5", "2001:db8:0:101::20", "2001:db8:0:102::36", "2001:db8:0:100::6"} {
		t.Instances[i].ENIs[0].IPv6 = netip.MustParseAddr(a)
	}
	return t
}

func TestValidateIPv6(t *testing.T) {
	p := netip.MustParsePrefix
	a := netip.MustParseAddr
	if err := dualStack().Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		edit  func(*Topology)
		field string
		want  string
	}{
		{"VPC IPv6 CIDR is IPv4", func(t *Topology) { t.VPCs[0].IPv6CIDR = p("10.1.0.0/16") }, "VPCs[0].IPv6CIDR", "not an IPv6"},
		{"VPC IPv6 CIDR too small", func(t *Topology) { t.VPCs[0].IPv6CIDR = p("2001:db8:0:100::/64") }, "VPCs[0].IPv6CIDR", "between /44 and /56"},
		{"subnet IPv6 without VPC block", func(t *Topology) {
			t.VPCs[0].IPv6CIDR = netip.Prefix{}
		}, "VPCs[0].Subnets[0].IPv6CIDR", "VPC vpc has none"},
		{"subnet IPv6 not a /64", func(t *Topology) { t.VPCs[0].Subnets[1].IPv6CIDR = p("2001:db8:0:101::/80") }, "VPCs[0].Subnets[1].IPv6CIDR", "between /64 and /64"},
		{"subnet IPv6 outside VPC", func(t *Topology) { t.VPCs[0].Subnets[1].IPv6CIDR = p("2001:db8:0:201::/64") }, "VPCs[0].Subnets[1].IPv6CIDR", "not inside VPC vpc"},
		{"subnets IPv6 overlap", func(t *Topology) { t.VPCs[0].Subnets[1].IPv6CIDR = p("2001:db8:0:100::/64") }, "VPCs[0].Subnets[1].IPv6CIDR", "overlaps public"},
		{"ENI IPv6 outside subnet", func(t *Topology) { t.Instances[1].ENIs[0].IPv6 = a("2001:db8:0:100::99") }, "Instances[1].ENIs[0].IPv6", "not in subnet adapter"},
		{"ENI IPv6 reserved", func(t *Topology) { t.Instances[1].ENIs[0].IPv6 = a("2001:db8:0:101::1") }, "Instances[1].ENIs[0].IPv6", "reserved"},
		{"ENI IPv6 last reserved", func(t *Topology) { t.Instances[1].ENIs[0].IPv6 = a("2001:db8:0:101:ffff:ffff:ffff:ffff") }, "Instances[1].ENIs[0].IPv6", "reserved"},
		{"ENI IPv6 is IPv4", func(t *Topology) { t.Instances[1].ENIs[0].IPv6 = a("10.0.0.20") }, "Instances[1].ENIs[0].IPv6", "not an IPv6"},
		{"ENI IPv6 duplicate", func(t *Topology) { t.Instances[3].ENIs[0].IPv6 = a("2001:db8:0:100::5") }, "Instances[3].ENIs[0].IPv6", "already assigned"},
		{"ENI IPv6 in an IPv4-only subnet", func(t *Topology) {
			t.VPCs[0].Subnets[2].IPv6CIDR = netip.Prefix{}
		}, "Instances[2].ENIs[0].IPv6", "no IPv6 CIDR"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			topo := dualStack()
			c.edit(&topo)
			errs := validationErrors(t, topo.Validate())
			for _, e := range errs {
				if e.Field == c.field && strings.Contains(e.Message, c.want) {
					return
				}
			}
			t.Errorf("want %s: ...%s..., got %v", c.field, c.want, errs)
		})
	}
}

// TestPrivilegedDualStack: IPv6 between two instances of one subnet, and
// through the VPC router between subnets, on a lab whose IPv4 keeps
// working; the ENI handles carry the addresses.
func TestPrivilegedDualStack(t *testing.T) {
	lab := realize(t, dualStack())
	prod, client, testsrv := lab.Instance("prod"), lab.Instance("client"), lab.Instance("testsrv")
	if e := prod.ENI("eth0"); e.IPv6 != netip.MustParseAddr("2001:db8:0:100::5") || e.Prefix6.Bits() != 64 ||
		e.Gateway6 != netip.MustParseAddr("2001:db8:0:100::1") {
		t.Fatalf("prod eth0: IPv6 %s/%d gateway %s", e.IPv6, e.Prefix6.Bits(), e.Gateway6)
	}
	if lab.Fabric("vpc").ENIByIP(netip.MustParseAddr("2001:db8:0:102::36")) != testsrv.ENI("eth0") {
		t.Errorf("Fabric.ENIByIP does not find testsrv by its IPv6 address")
	}
	for _, c := range []struct {
		name   string
		server *Instance
		addr   string
	}{
		{"same subnet", prod, "[2001:db8:0:100::5]:7000"},
		{"through the router", testsrv, "[2001:db8:0:102::36]:7000"},
		{"ipv4 still", testsrv, "10.0.0.36:7000"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var srv net.PacketConn
			if err := c.server.Run(func() (err error) {
				srv, err = net.ListenPacket("udp", c.addr)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			var cl net.Conn
			if err := client.Run(func() (err error) {
				cl, err = net.Dial("udp", c.addr)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			if _, err := cl.Write([]byte("hello")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 64)
			srv.SetReadDeadline(time.Now().Add(3 * time.Second))
			n, from, err := srv.ReadFrom(buf)
			if err != nil || string(buf[:n]) != "hello" {
				t.Fatalf("server read %q from %v: %v", buf[:n], from, err)
			}
			if _, err := srv.WriteTo([]byte("back"), from); err != nil {
				t.Fatal(err)
			}
			cl.SetReadDeadline(time.Now().Add(3 * time.Second))
			if n, err := cl.Read(buf); err != nil || string(buf[:n]) != "back" {
				t.Fatalf("client read %q: %v", buf[:n], err)
			}
		})
	}
}
