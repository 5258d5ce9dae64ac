package sim

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
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

// TestPrivilegedDualStackSecondENI: a later ENI's IPv6 address gets its own
// table (its subnet and a default route via its subnet's router) and a
// rule for its source address, as its IPv4 one does; a reply from it
// leaves by it.
func TestPrivilegedDualStackSecondENI(t *testing.T) {
	topo := dualStack()
	topo.Instances[0].ENIs = append(topo.Instances[0].ENIs,
		ENISpec{Name: "eth1", Subnet: "test", IPv6: netip.MustParseAddr("2001:db8:0:102::37")})
	lab := realize(t, topo)
	prod := lab.Instance("prod")
	eth1 := prod.ENI("eth1")
	if eth1.IPv6 != netip.MustParseAddr("2001:db8:0:102::37") || eth1.Gateway6 != netip.MustParseAddr("2001:db8:0:102::1") {
		t.Fatalf("eth1: IPv6 %s gateway %s", eth1.IPv6, eth1.Gateway6)
	}
	rules, err := prod.nl.RuleList(unix.AF_INET6)
	if err != nil {
		t.Fatal(err)
	}
	table := 0
	for _, r := range rules {
		if r.Src != nil && r.Src.IP.Equal(net.ParseIP("2001:db8:0:102::37")) {
			table = r.Table
		}
	}
	if table != 10001 {
		t.Fatalf("no rule for 2001:db8:0:102::37 to table 10001 (found table %d) in %v", table, rules)
	}
	routes, err := prod.nl.RouteListFiltered(unix.AF_INET6, &netlink.Route{Table: table}, netlink.RT_FILTER_TABLE)
	if err != nil {
		t.Fatal(err)
	}
	def := false
	for _, r := range routes {
		def = def || (r.Dst == nil || r.Dst.String() == "::/0") && r.Gw.Equal(net.ParseIP("2001:db8:0:102::1")) && r.LinkIndex == eth1.Index
	}
	if !def {
		t.Fatalf("table %d has no default route via 2001:db8:0:102::1 on eth1: %v", table, routes)
	}
	// The test server reaches eth1's IPv6 address, and its answer returns.
	var srv net.PacketConn
	if err := prod.Run(func() (err error) { srv, err = net.ListenPacket("udp", "[2001:db8:0:102::37]:7001"); return err }); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	go func() {
		buf := make([]byte, 64)
		if n, from, err := srv.ReadFrom(buf); err == nil {
			srv.WriteTo(buf[:n], from)
		}
	}()
	var cl net.Conn
	if err := lab.Instance("adapter").Run(func() (err error) { cl, err = net.Dial("udp", "[2001:db8:0:102::37]:7001"); return err }); err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	cl.SetDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 64)
	if _, err := cl.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	if n, err := cl.Read(buf); err != nil || string(buf[:n]) != "ping" {
		t.Fatalf("echo through eth1: %q, %v", buf[:n], err)
	}
}
