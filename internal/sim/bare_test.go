package sim

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/mirrorlab/mirrorlab/internal/sim/state"
)

// TestPrivilegedNamespacesRecordedMadeAndRemoved: a bare namespace set is in
// its state file before anything exists, Add refuses an unrecorded role,
// the namespace is made as a lab's (IPv6 off, loopback up), and Close
// removes the namespaces and the state file.
func TestPrivilegedNamespacesRecordedMadeAndRemoved(t *testing.T) {
	privtest.Require(t)
	dir := t.TempDir()
	s, err := NewNamespaces(dir, "a", "b")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	r, err := state.Load(dir, s.RunID())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Namespaces) != 2 || r.Namespaces[0] != state.Prefix(s.RunID())+"a" {
		t.Fatalf("state lists %v", r.Namespaces)
	}
	if _, err := s.Add("c"); err == nil {
		t.Fatal("Add accepted a role not recorded")
	}
	a, err := s.Add("a")
	if err != nil {
		t.Fatal(err)
	}
	lo, err := a.Netlink().LinkByName("lo")
	if err != nil || lo.Attrs().Flags&net.FlagUp == 0 {
		t.Fatalf("loopback in %s not up: %v", a.Name, err)
	}
	var v6 []byte
	if err := a.Run(func() error {
		var err error
		v6, err = os.ReadFile("/proc/sys/net/ipv6/conf/all/disable_ipv6")
		return err
	}); err == nil && string(v6) != "1\n" {
		t.Fatalf("ipv6 not disabled in %s: %q", a.Name, v6)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join("/run/netns", a.Name)); !os.IsNotExist(err) {
		t.Fatalf("namespace %s left after Close: %v", a.Name, err)
	}
	if _, err := state.Load(dir, s.RunID()); err == nil {
		t.Fatal("state file left after Close")
	}
	if _, err := s.Add("b"); err == nil {
		t.Fatal("Add after Close accepted")
	}
}
