package sim

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/sim/state"
)

// peered: three VPCs, app-a and app-b each peered with insp (not with each
// other), one instance in each.
func peered() Topology {
	p := netip.MustParsePrefix
	vpc := func(name, cidr, sub string) VPCSpec {
		return VPCSpec{Name: name, CIDR: p(cidr), Subnets: []SubnetSpec{{Name: "s", CIDR: p(sub)}}}
	}
	return Topology{
		VPCs: []VPCSpec{vpc("app-a", "10.1.0.0/24", "10.1.0.0/28"), vpc("app-b", "10.2.0.0/24", "10.2.0.0/28"),
			vpc("insp", "10.9.0.0/24", "10.9.0.16/28")},
		Instances: []InstanceSpec{
			{Name: "a", VPC: "app-a", ENIs: []ENISpec{{Name: "eth0", Subnet: "s"}}},
			{Name: "b", VPC: "app-b", ENIs: []ENISpec{{Name: "eth0", Subnet: "s"}}},
			{Name: "i", VPC: "insp", ENIs: []ENISpec{{Name: "eth0", Subnet: "s"}}},
		},
		Peerings: []PeeringSpec{{Name: "pcx-a", VPCs: [2]string{"app-a", "insp"}}, {Name: "pcx-b", VPCs: [2]string{"insp", "app-b"}}},
	}
}

func TestValidatePeerings(t *testing.T) {
	if err := peered().Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		edit  func(*Topology)
		field string
		want  string
	}{
		{"unknown VPC", func(t *Topology) { t.Peerings[0].VPCs[1] = "nope" }, "Peerings[0].VPCs[1]", `no VPC named "nope"`},
		{"itself", func(t *Topology) { t.Peerings[0].VPCs[1] = "app-a" }, "Peerings[0].VPCs[1]", "with itself"},
		{"overlap", func(t *Topology) {
			t.VPCs[2].CIDR, t.VPCs[2].Subnets[0].CIDR = netip.MustParsePrefix("10.1.0.0/23"), netip.MustParsePrefix("10.1.1.16/28")
		}, "Peerings[0].VPCs[1]", "overlap"},
		{"twice", func(t *Topology) { t.Peerings[1].VPCs = [2]string{"insp", "app-a"} }, "Peerings[1].VPCs", "already peered by pcx-a (Peerings[0])"},
		{"name", func(t *Topology) { t.Peerings[1].Name = "pcx-a" }, "Peerings[1].Name", "already used"},
		{"bad name", func(t *Topology) { t.Peerings[1].Name = "a/b" }, "Peerings[1].Name", "only letters"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			topo := peered()
			c.edit(&topo)
			errs := validationErrors(t, topo.Validate())
			for _, e := range errs {
				if e.Field == c.field && strings.Contains(e.Message, c.want) {
					return
				}
			}
			t.Fatalf("no error on %s containing %q; got %v", c.field, c.want, errs)
		})
	}
	// Resolve keeps the peerings (and does not alias them).
	topo := peered()
	r, err := topo.Resolve()
	if err != nil || len(r.Peerings) != 2 || r.Peerings[1] != topo.Peerings[1] {
		t.Fatalf("Resolve: %v %+v", err, r.Peerings)
	}
	r.Peerings[0].Name = "changed"
	if topo.Peerings[0].Name != "pcx-a" {
		t.Error("Resolve aliases the peerings")
	}
}

// TestPrivilegedPeering: peered VPCs reach each other in both directions
// through their routers; peering is not transitive; the links carry the
// run id, live only in the fabric namespaces the state file lists, and go
// with them at Close.
func TestPrivilegedPeering(t *testing.T) {
	lab := realize(t, peered()) // Close again at the end is a no-op
	ips := map[string]netip.Addr{}
	for _, in := range lab.Instances() {
		ips[in.Name] = in.ENIs[0].IP
	}
	for _, c := range []struct{ from, to string }{{"a", "i"}, {"i", "a"}, {"b", "i"}, {"i", "b"}} {
		var r pingResult
		err := lab.Instance(c.from).Run(func() (err error) { r, err = pingDF(ips[c.to], 1400, 0x4242); return })
		if err != nil || !r.reply || r.from != ips[c.to] {
			t.Errorf("%s -> %s (%s): %v %v", c.from, c.to, ips[c.to], r, err)
		}
	}
	// The jumbo MTU holds across the peering too.
	var r pingResult
	if err := lab.Instance("a").Run(func() (err error) { r, err = pingDF(ips["i"], MaxMTU, 0x4243); return }); err != nil || !r.reply {
		t.Errorf("a -> i at %d bytes: %v %v", MaxMTU, r, err)
	}
	// app-a and app-b are both peered with insp, not with each other.
	err := lab.Instance("a").Run(func() (err error) { r, err = pingDF(ips["b"], 100, 0x4244); return })
	if err == nil && r.reply {
		t.Errorf("a reached b through insp: peering must not be transitive")
	}
	ps := lab.Peerings()
	if len(ps) != 2 {
		t.Fatalf("%d peerings", len(ps))
	}
	for _, p := range ps {
		if !strings.HasPrefix(p.IfName, "ml"+lab.RunID()+"-x") {
			t.Errorf("peering %s link %q does not carry the run id", p.Name, p.IfName)
		}
		for _, vpc := range p.VPCs {
			f := lab.Fabric(vpc)
			if _, err := f.nl.LinkByName(p.IfName); err != nil {
				t.Errorf("peering %s: no %s in %s: %v", p.Name, p.IfName, f.NsName, err)
			}
		}
	}
	rec, err := state.Load(state.DefaultDir, lab.RunID())
	if err != nil {
		t.Fatal(err)
	}
	for _, vpc := range []string{"app-a", "app-b", "insp"} {
		if !slices.Contains(rec.Namespaces, lab.Fabric(vpc).NsName) {
			t.Errorf("state file lacks fabric %s: %v", lab.Fabric(vpc).NsName, rec.Namespaces)
		}
	}
	host, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range host {
		if strings.HasPrefix(i.Name, state.Prefix(lab.RunID())) {
			t.Errorf("interface %s of the lab in the host namespace", i.Name)
		}
	}
	if err := lab.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := namespacesOf(t, lab.RunID()); len(got) != 0 {
		t.Errorf("namespaces left after Close: %v", got)
	}
}

// transited: peered()'s VPCs joined by a transit gateway that app-a and
// insp are attached to (app-b is not).
func transited() Topology {
	t := peered()
	t.Peerings = nil
	t.TransitGateways = []TransitGatewaySpec{{Name: "hub", VPCs: []string{"app-a", "insp"}}}
	return t
}

func TestValidateTransitGateways(t *testing.T) {
	if err := transited().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, field, want string
		edit              func(*Topology)
	}{
		{"unknown VPC", "TransitGateways[0].VPCs[1]", `no VPC named "nope"`, func(t *Topology) { t.TransitGateways[0].VPCs[1] = "nope" }},
		{"twice", "TransitGateways[0].VPCs[1]", "attached twice", func(t *Topology) { t.TransitGateways[0].VPCs[1] = "app-a" }},
		{"overlap", "TransitGateways[0].VPCs[1]", "overlaps VPC app-a", func(t *Topology) {
			t.VPCs[2].CIDR, t.VPCs[2].Subnets[0].CIDR = netip.MustParsePrefix("10.1.0.0/23"), netip.MustParsePrefix("10.1.1.16/28")
		}},
		{"also peered", "TransitGateways[0].VPCs[1]", "also peered by pcx", func(t *Topology) { t.Peerings = peered().Peerings[:1] }},
		{"name", "TransitGateways[1].Name", "already used", func(t *Topology) { t.TransitGateways = append(t.TransitGateways, t.TransitGateways[0]) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			topo := transited()
			c.edit(&topo)
			for _, e := range validationErrors(t, topo.Validate()) {
				if e.Field == c.field && strings.Contains(e.Message, c.want) {
					return
				}
			}
			t.Fatalf("no error on %s containing %q; got %v", c.field, c.want, topo.Validate())
		})
	}
}

// TestPrivilegedTransitGateway: VPCs attached to one transit gateway reach
// each other through its namespace; an unattached one does not; the
// namespace is in the state file and goes at Close with its links.
func TestPrivilegedTransitGateway(t *testing.T) {
	lab := realize(t, transited()) // Close again at the end is a no-op
	ips := map[string]netip.Addr{}
	for _, in := range lab.Instances() {
		ips[in.Name] = in.ENIs[0].IP
	}
	for _, c := range []struct{ from, to string }{{"a", "i"}, {"i", "a"}} {
		var r pingResult
		err := lab.Instance(c.from).Run(func() (err error) { r, err = pingDF(ips[c.to], MaxMTU, 0x4245); return })
		if err != nil || !r.reply || r.from != ips[c.to] {
			t.Errorf("%s -> %s through the transit gateway: %v %v", c.from, c.to, r, err)
		}
	}
	var r pingResult
	if err := lab.Instance("b").Run(func() (err error) { r, err = pingDF(ips["i"], 100, 0x4246); return }); err == nil && r.reply {
		t.Error("b reached i: it is attached to no transit gateway")
	}
	tgs := lab.TransitGateways()
	if len(tgs) != 1 || len(tgs[0].Links) != 2 {
		t.Fatalf("transit gateways %+v", tgs)
	}
	rec, err := state.Load(state.DefaultDir, lab.RunID())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(rec.Namespaces, tgs[0].NsName) || !strings.HasPrefix(tgs[0].NsName, state.Prefix(lab.RunID())) {
		t.Errorf("state file lacks %s: %v", tgs[0].NsName, rec.Namespaces)
	}
	if err := lab.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := namespacesOf(t, lab.RunID()); len(got) != 0 {
		t.Errorf("namespaces left after Close: %v", got)
	}
}

// dualStacked makes every VPC of t dual-stack (2001:db8:N::/56, the
// subnet the /64 at its base) and gives every instance ::N there.
func dualStacked(t Topology) Topology {
	for i := range t.VPCs {
		v := &t.VPCs[i]
		v.IPv6CIDR = netip.MustParsePrefix("2001:db8:" + strconv.Itoa(i+1) + "::/56")
		v.Subnets[0].IPv6CIDR = netip.MustParsePrefix("2001:db8:" + strconv.Itoa(i+1) + "::/64")
	}
	for i := range t.Instances {
		in := &t.Instances[i]
		for j, v := range t.VPCs {
			if v.Name == in.VPC {
				in.ENIs[0].IPv6 = netip.MustParseAddr("2001:db8:" + strconv.Itoa(j+1) + "::" + strconv.Itoa(10+i))
			}
		}
	}
	return t
}

// udpRoundTrip sends a datagram from one instance to another's address
// and waits for the echo.
func udpRoundTrip(t *testing.T, from, to *Instance, addr netip.Addr) error {
	t.Helper()
	var srv net.PacketConn
	ap := netip.AddrPortFrom(addr, 7100).String()
	if err := to.Run(func() (err error) { srv, err = net.ListenPacket("udp", ap); return }); err != nil {
		return err
	}
	defer srv.Close()
	go func() {
		buf := make([]byte, 64)
		if n, a, err := srv.ReadFrom(buf); err == nil {
			srv.WriteTo(buf[:n], a)
		}
	}()
	var cl net.Conn
	if err := from.Run(func() (err error) { cl, err = net.Dial("udp", ap); return }); err != nil {
		return err
	}
	defer cl.Close()
	if _, err := cl.Write([]byte("ping")); err != nil {
		return err
	}
	cl.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 64)
	n, err := cl.Read(buf)
	if err == nil && string(buf[:n]) != "ping" {
		err = fmt.Errorf("echo %q", buf[:n])
	}
	return err
}

// TestPrivilegedDualStackPeeringAndTransitGateway: between dual-stack
// VPCs, IPv6 crosses a peering and a transit gateway like IPv4.
func TestPrivilegedDualStackPeeringAndTransitGateway(t *testing.T) {
	for _, c := range []struct {
		name string
		topo Topology
	}{{"peering", dualStacked(peered())}, {"transit gateway", dualStacked(transited())}} {
		t.Run(c.name, func(t *testing.T) {
			lab := realize(t, c.topo)
			a, i := lab.Instance("a"), lab.Instance("i")
			for _, ip := range []netip.Addr{i.ENIs[0].IPv6, i.ENIs[0].IP} {
				if err := udpRoundTrip(t, a, i, ip); err != nil {
					t.Errorf("a -> i %s: %v", ip, err)
				}
			}
			if err := udpRoundTrip(t, i, a, a.ENIs[0].IPv6); err != nil {
				t.Errorf("i -> a %s: %v", a.ENIs[0].IPv6, err)
			}
		})
	}
}
