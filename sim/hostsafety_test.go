package sim

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
)

// hostSnapshot describes the host namespace's links, addresses, routes,
// rules and forwarding settings, one line per object, sorted.
func hostSnapshot(t *testing.T) []string {
	t.Helper()
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var out []string
	links, err := h.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		a := l.Attrs()
		out = append(out, fmt.Sprintf("link %d %s %s mtu=%d mac=%s master=%d up=%v", a.Index, a.Name, l.Type(),
			a.MTU, a.HardwareAddr, a.MasterIndex, a.Flags&net.FlagUp != 0))
	}
	addrs, err := h.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		out = append(out, fmt.Sprintf("addr %d %s", a.LinkIndex, a.IPNet))
	}
	routes, err := h.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		out = append(out, fmt.Sprintf("route table=%d dst=%v gw=%v dev=%d src=%v proto=%d type=%d", r.Table, r.Dst, r.Gw,
			r.LinkIndex, r.Src, r.Protocol, r.Type))
	}
	rules, err := h.RuleList(netlink.FAMILY_ALL)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		out = append(out, fmt.Sprintf("rule %d table=%d src=%v dst=%v", r.Priority, r.Table, r.Src, r.Dst))
	}
	for _, k := range []string{"net/ipv4/ip_forward", "net/ipv4/conf/all/rp_filter", "net/ipv4/conf/default/rp_filter",
		"net/ipv4/conf/all/send_redirects", "net/ipv4/conf/all/arp_ignore", "net/ipv4/ping_group_range",
		"net/ipv6/conf/all/disable_ipv6", "net/ipv6/conf/default/disable_ipv6", "net/ipv6/conf/all/forwarding"} {
		b, err := os.ReadFile("/proc/sys/" + k)
		if err == nil {
			out = append(out, "sysctl "+k+"="+strings.TrimSpace(string(b)))
		}
	}
	slices.Sort(out)
	return out
}

func diff(a, b []string) (gone, added []string) {
	for _, s := range a {
		if !slices.Contains(b, s) {
			gone = append(gone, s)
		}
	}
	for _, s := range b {
		if !slices.Contains(a, s) {
			added = append(added, s)
		}
	}
	return gone, added
}

// TestPrivilegedHostNamespaceUntouched compares the host's links,
// addresses, routes, rules and forwarding sysctls before realisation, while
// the lab runs (with traffic, a program and a VXLAN device in it), and after
// tear-down.
func TestPrivilegedHostNamespaceUntouched(t *testing.T) {
	privtest.Require(t)
	before := hostSnapshot(t)
	if !slices.ContainsFunc(before, func(s string) bool { return strings.HasPrefix(s, "link 1 lo ") }) {
		t.Fatalf("host snapshot lacks the loopback: %q", before)
	}
	lab, err := Realize(context.Background(), walkthrough(), Options{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	if _, err := lab.Instance("adapter").AddVXLAN("eth0", "vxlan0", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := lab.Instance("prod").Exec(context.Background(), []string{"sleep", "1000"}, ExecOptions{}); err != nil {
		t.Fatal(err)
	}
	client, testsrv := lab.Instance("client"), lab.Instance("testsrv")
	if err := client.Run(func() error {
		_, err := pingDF(testsrv.ENIs[0].IP, 1000, 0x5a5a)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		gone, added := diff(before, hostSnapshot(t))
		if len(gone)+len(added) > 0 {
			t.Errorf("host namespace changed %s:\n gone: %q\n added: %q", when, gone, added)
		}
	}
	check("while the lab runs")
	if err := lab.Close(); err != nil {
		t.Fatal(err)
	}
	check("after Close")
}
