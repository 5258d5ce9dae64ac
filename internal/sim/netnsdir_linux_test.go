package sim

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/mirrorlab/mirrorlab/internal/sim/state"
)

// netnsDirMount returns the optional fields of the mount whose mount point
// is /run/netns ("" and false when /run/netns is not a mount point).
func netnsDirMount(t *testing.T) (string, bool) {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	found, opts := false, ""
	for sc.Scan() {
		// id parent major:minor root mountpoint options [optional...] - ...
		fields := strings.Fields(sc.Text())
		if len(fields) < 7 || fields[4] != state.NetnsDir {
			continue
		}
		found, opts = true, ""
		for _, o := range fields[6:] {
			if o == "-" {
				break
			}
			opts += o + " "
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return opts, found
}

// TestPrivilegedNamespaceSurvivesIPNetnsAdd: a lab's namespace can still be
// deleted after somebody ran `ip netns add` while it lived. Before a
// namespace is made, /run/netns is a shared mount point of its own, so
// iproute2 does not bind-mount the directory over the lab's namespaces
// (which left them impossible to unmount or remove: "device or resource
// busy").
func TestPrivilegedNamespaceSurvivesIPNetnsAdd(t *testing.T) {
	privtest.Require(t)
	s, err := NewNamespaces(t.TempDir(), "a")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	a, err := s.Add("a")
	if err != nil {
		t.Fatal(err)
	}
	opts, ok := netnsDirMount(t)
	if !ok || !strings.Contains(opts, "shared:") {
		t.Fatalf("/run/netns after Add: mount point %v, optional fields %q; want a shared mount point", ok, opts)
	}

	other := state.Prefix(s.RunID()) + "iproute2"
	if out, err := exec.Command("ip", "netns", "add", other).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v %s", other, err, out)
	}
	t.Cleanup(func() {
		if err := state.DeleteNamespace(other); err != nil {
			t.Error(err)
		}
	})
	if err := s.Close(); err != nil {
		t.Fatalf("delete the lab's namespace after ip netns add: %v", err)
	}
	if _, err := os.Stat(filepath.Join(state.NetnsDir, a.Name)); !os.IsNotExist(err) {
		t.Fatalf("%s still there after Close: %v", a.Name, err)
	}
}
