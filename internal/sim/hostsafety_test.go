package sim

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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
		"net/ipv6/conf/all/disable_ipv6", "net/ipv6/conf/default/disable_ipv6", "net/ipv6/conf/all/forwarding",
		"net/bridge/bridge-nf-call-iptables", "net/bridge/bridge-nf-call-ip6tables", "net/bridge/bridge-nf-call-arptables"} {
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
	// Watch the host's link events for the whole life of the lab: no
	// object of ours may appear there, not even for a moment.
	var stopping atomic.Bool
	events := make(chan netlink.LinkUpdate, 4096)
	done := make(chan struct{})
	if err := netlink.LinkSubscribeWithOptions(events, done, netlink.LinkSubscribeOptions{
		ErrorCallback: func(err error) {
			if !stopping.Load() {
				t.Errorf("host link events: %v", err)
			}
		}}); err != nil {
		t.Fatal(err)
	}
	lab, err := Realize(context.Background(), walkthrough(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	// The same watch inside the adapter does see the VXLAN device appear.
	adapterNS := lab.Instance("adapter").NS()
	inLab := make(chan netlink.LinkUpdate, 64)
	inLabDone := make(chan struct{})
	if err := netlink.LinkSubscribeWithOptions(inLab, inLabDone, netlink.LinkSubscribeOptions{Namespace: &adapterNS}); err != nil {
		t.Fatal(err)
	}
	if _, err := lab.Instance("adapter").AddVXLAN("eth0", "vxlan0", 1); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(2 * time.Second)
watch:
	for {
		select {
		case ev := <-inLab:
			if ev.Attrs().Name == "vxlan0" {
				break watch
			}
		case <-timeout:
			t.Error("the link watch did not see vxlan0 appear in the adapter: it cannot be trusted on the host either")
			break watch
		}
	}
	close(inLabDone)
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
	stopping.Store(true)
	close(done)
	for ev := range events {
		name := ev.Attrs().Name
		if strings.HasPrefix(name, "ml"+lab.RunID()) || name == "eth0" || name == "vxlan0" {
			t.Errorf("host namespace saw link %s (%s, message %d)", name, ev.Type(), ev.Header.Type)
		}
	}
}
