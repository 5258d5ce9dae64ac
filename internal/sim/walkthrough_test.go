package sim

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// TestPrivilegedHandles checks that every handle the lab returns names the
// kernel object it claims: ENI ends, peers, bridges, addresses, MTUs, routes.
func TestPrivilegedHandles(t *testing.T) {
	topo := walkthrough()
	topo.Instances[2].ENIs[0].MTU = 1500
	lab := realize(t, topo)
	f := lab.Fabric("vpc")
	if f == nil || len(f.Bridges) != 3 {
		t.Fatalf("fabric = %+v", f)
	}
	fh, err := netlink.NewHandleAt(f.NS())
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	wantBridgeMTU := map[string]int{"public": 9001, "adapter": 9001, "test": 1500}
	for _, b := range f.Bridges {
		l, err := fh.LinkByIndex(b.Index)
		if err != nil {
			t.Fatalf("bridge %s: %v", b.Name, err)
		}
		if l.Attrs().Name != b.Name || l.Type() != "bridge" || l.Attrs().MTU != wantBridgeMTU[b.Subnet] {
			t.Errorf("bridge %s: kernel has %s type %s mtu %d", b.Name, l.Attrs().Name, l.Type(), l.Attrs().MTU)
		}
		addrs, _ := fh.AddrList(l, unix.AF_INET)
		if len(addrs) != 1 || addrs[0].IPNet.String() != netip.PrefixFrom(b.Gateway, b.CIDR.Bits()).String() {
			t.Errorf("bridge %s addresses %v, want gateway %s", b.Name, addrs, b.Gateway)
		}
		if len(b.Name) > 15 {
			t.Errorf("bridge name %q too long", b.Name)
		}
	}
	for _, in := range lab.Instances() {
		ih, err := netlink.NewHandleAt(in.NS())
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range in.ENIs {
			peer, err := fh.LinkByIndex(e.PeerIndex)
			if err != nil {
				t.Fatalf("%s/%s peer: %v", in.Name, e.Name, err)
			}
			br := f.Bridge(e.Subnet)
			pa := peer.Attrs()
			if pa.Name != e.PeerName || pa.MasterIndex != br.Index || pa.MTU != e.MTU || pa.HardwareAddr.String() != e.PeerMAC.String() || len(e.PeerName) > 15 {
				t.Errorf("%s/%s peer: %s master %d mtu %d mac %s; want %s master %d mtu %d mac %s",
					in.Name, e.Name, pa.Name, pa.MasterIndex, pa.MTU, pa.HardwareAddr, e.PeerName, br.Index, e.MTU, e.PeerMAC)
			}
			l, err := ih.LinkByIndex(e.Index)
			if err != nil {
				t.Fatalf("%s/%s: %v", in.Name, e.Name, err)
			}
			la := l.Attrs()
			if la.Name != e.IfName || la.MTU != e.MTU || la.HardwareAddr.String() != e.MAC.String() || la.OperState != netlink.OperUp {
				t.Errorf("%s/%s: kernel %s mtu %d mac %s state %v", in.Name, e.Name, la.Name, la.MTU, la.HardwareAddr, la.OperState)
			}
			addrs, _ := ih.AddrList(l, unix.AF_INET)
			if len(addrs) != 1 || addrs[0].IPNet.String() != e.Prefix.String() {
				t.Errorf("%s/%s addresses %v, want %s", in.Name, e.Name, addrs, e.Prefix)
			}
			if lab.ENIByIP(e.IP) != e {
				t.Errorf("ENIByIP(%s) does not find %s/%s", e.IP, in.Name, e.Name)
			}
		}
		routes, err := ih.RouteList(nil, unix.AF_INET)
		if err != nil {
			t.Fatal(err)
		}
		var def bool
		for _, r := range routes {
			if r.Dst == nil || r.Dst.IP.IsUnspecified() {
				def = r.Gw.String() == in.ENIs[0].Gateway.String()
			}
		}
		if !def {
			t.Errorf("%s: no default route via %s in %v", in.Name, in.ENIs[0].Gateway, routes)
		}
		ih.Close()
	}
	want := map[string]string{"prod": "10.0.0.4", "client": "10.0.0.5", "adapter": "10.0.0.20", "testsrv": "10.0.0.36"}
	for n, ip := range want {
		if got := lab.Instance(n).ENI("eth0").IP.String(); got != ip {
			t.Errorf("%s: IP %s, want %s", n, got, ip)
		}
	}
}

// TestPrivilegedTCPAcrossSubnets connects every instance to every other one
// (same subnet and across the router) and checks the server sees the
// client's own address.
func TestPrivilegedTCPAcrossSubnets(t *testing.T) {
	lab := realize(t, walkthrough())
	insts := lab.Instances()
	lns := map[string]net.Listener{}
	for _, in := range insts {
		var ln net.Listener
		err := in.Run(func() (err error) {
			ln, err = net.Listen("tcp", netip.AddrPortFrom(in.ENIs[0].IP, 8080).String())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		lns[in.Name] = ln
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				fmt.Fprintf(c, "%s saw %s\n", in.Name, c.RemoteAddr().(*net.TCPAddr).IP)
				c.Close()
			}
		}()
	}
	for _, from := range insts {
		for _, to := range insts {
			if from == to {
				continue
			}
			var line string
			err := from.Run(func() error {
				c, err := net.Dial("tcp", lns[to.Name].Addr().String())
				if err != nil {
					return err
				}
				defer c.Close()
				line, err = bufio.NewReader(c).ReadString('\n')
				return err
			})
			want := fmt.Sprintf("%s saw %s\n", to.Name, from.ENIs[0].IP)
			if err != nil || line != want {
				t.Errorf("%s -> %s: %q, %v; want %q", from.Name, to.Name, line, err, want)
			}
		}
	}
}

// TestPrivilegedICMPAndMTU pings across subnets with don't-fragment: a
// packet that fits the path goes, one byte more does not. testsrv's ENI
// has MTU 1500, the others 9001.
func TestPrivilegedICMPAndMTU(t *testing.T) {
	topo := walkthrough()
	topo.Instances[2].ENIs[0].MTU = 1500
	lab := realize(t, topo)
	prod, client, testsrv := lab.Instance("prod"), lab.Instance("client"), lab.Instance("testsrv")
	ip := func(in *Instance) netip.Addr { return in.ENIs[0].IP }
	cases := []struct {
		name string
		from *Instance
		to   netip.Addr
		size int
		want func(pingResult) bool
	}{
		{"same subnet, 9001 fits", client, ip(prod), 9001, func(r pingResult) bool { return r.reply && r.from == ip(prod) }},
		{"same subnet, 9002 exceeds the ENI", client, ip(prod), 9002, func(r pingResult) bool { return r.tooBig }},
		{"across subnets to the router", client, netip.MustParseAddr("10.0.0.33"), 9001, func(r pingResult) bool { return r.reply }},
		{"1500 ENI, 1500 fits", testsrv, ip(prod), 1500, func(r pingResult) bool { return r.reply && r.from == ip(prod) }},
		{"1500 ENI, 1501 exceeds it", testsrv, ip(prod), 1501, func(r pingResult) bool { return r.tooBig }},
		{"9001 ENI to 1500 subnet, 1500 fits", client, ip(testsrv), 1500, func(r pingResult) bool { return r.reply && r.from == ip(testsrv) }},
		{"9001 ENI to 1500 subnet, 1501: router says frag needed", client, ip(testsrv), 1501,
			func(r pingResult) bool { return r.fragMTU == 1500 && isGateway(lab, r.from) }},
	}
	for i, c := range cases {
		var r pingResult
		err := c.from.Run(func() (err error) { r, err = pingDF(c.to, c.size, uint16(0x4d00+i)); return })
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		t.Logf("%s: %v", c.name, r)
		if !c.want(r) {
			t.Errorf("%s: %v", c.name, r)
		}
	}
}

func isGateway(lab *Lab, a netip.Addr) bool {
	for _, b := range lab.Fabric("vpc").Bridges {
		if b.Gateway == a {
			return true
		}
	}
	return false
}
