package sim

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/mirrorlab/mirrorlab/internal/nsrun"
	"github.com/mirrorlab/mirrorlab/internal/sim/state"
)

// sysctl is one setting under /proc/sys, written inside a namespace.
type sysctl struct{ key, value string }

// Settings for every namespace of a lab: no IPv6 (no router solicitations,
// DAD or MLD on the wire, so captures hold only what the scenario sends) and
// no reverse-path filter (multi-ENI instances answer from any interface).
var commonSysctls = []sysctl{
	{"net/ipv6/conf/all/disable_ipv6", "1"},
	{"net/ipv6/conf/default/disable_ipv6", "1"},
	{"net/ipv4/conf/all/rp_filter", "0"},
	{"net/ipv4/conf/default/rp_filter", "0"},
}

// The fabric routes between its subnets and never redirects: every
// instance's gateway is the router. Nothing in a fabric filters with
// iptables, so the bridges do not hand their frames to it (bridge
// netfilter, when the br_netfilter module is loaded: these keys are per
// namespace, and without the module there is nothing to switch off); it
// cost every frame crossing a bridge, production's and the copies'.
var fabricSysctls = []sysctl{
	{"net/ipv4/ip_forward", "1"},
	{"net/ipv4/conf/all/send_redirects", "0"},
	{"net/ipv4/conf/default/send_redirects", "0"},
	{"net/bridge/bridge-nf-call-iptables", "0"},
	{"net/bridge/bridge-nf-call-ip6tables", "0"},
	{"net/bridge/bridge-nf-call-arptables", "0"},
}

// Instances are multi-homed hosts: answer ARP only for an address of the
// asking interface, and let unprivileged programs ping (ICMP datagram
// sockets), as on a cloud image.
var instanceSysctls = []sysctl{
	{"net/ipv4/conf/all/arp_ignore", "1"},
	{"net/ipv4/conf/all/arp_announce", "2"},
	{"net/ipv4/ping_group_range", "0 2147483647"},
}

// writeSysctls writes settings in the calling thread's network namespace
// (/proc/sys/net follows the thread that opens it). Keys under a protocol
// or module the kernel lacks (no IPv6, no br_netfilter) are skipped.
func writeSysctls(list ...[]sysctl) error {
	for _, l := range list {
		for _, s := range l {
			p := filepath.Join("/proc/sys", s.key)
			err := os.WriteFile(p, []byte(s.value), 0o644)
			if errors.Is(err, os.ErrNotExist) && (strings.HasPrefix(s.key, "net/ipv6/") || strings.HasPrefix(s.key, "net/bridge/")) {
				continue
			}
			if err != nil {
				return fmt.Errorf("sysctl %s=%s: %w", s.key, s.value, err)
			}
		}
	}
	return nil
}

// createNamespace creates the named namespace (ip netns add), applies the
// sysctls inside it, brings its loopback up and opens a route netlink
// handle in it. netns.NewNamed switches the calling thread, so it runs on a
// throwaway thread (see nsrun.Go).
func createNamespace(name string, sysctls ...[]sysctl) (netns.NsHandle, *netlink.Handle, error) {
	if err := state.PrepareNetnsDir(); err != nil {
		return netns.None(), nil, fmt.Errorf("create namespace %s: %w", name, err)
	}
	type result struct {
		ns  netns.NsHandle
		nl  *netlink.Handle
		err error
	}
	c := make(chan result, 1)
	nsrun.Go(func() {
		ns, err := netns.NewNamed(name)
		if err != nil {
			c <- result{ns: netns.None(), err: fmt.Errorf("create namespace %s: %w", name, err)}
			return
		}
		h, err := setupNamespace(sysctls)
		if err != nil {
			ns.Close()
			c <- result{ns: netns.None(), err: fmt.Errorf("namespace %s: %w", name, err)}
			return
		}
		c <- result{ns: ns, nl: h}
	})
	r := <-c
	return r.ns, r.nl, r.err
}

// setupNamespace runs in the new namespace.
func setupNamespace(sysctls [][]sysctl) (*netlink.Handle, error) {
	if err := writeSysctls(sysctls...); err != nil {
		return nil, err
	}
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink handle: %w", err)
	}
	lo, err := h.LinkByName("lo")
	if err == nil {
		err = h.LinkSetUp(lo)
	}
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("loopback up: %w", err)
	}
	return h, nil
}
