package sim

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// netnsRunDir is where named network namespaces are mounted (as
// `ip netns` has them).
const netnsRunDir = "/run/netns"

// prepareNetnsDir makes /run/netns a shared mount point of its own before
// a namespace is mounted in it, exactly as iproute2's `ip netns add` does.
//
// Without it, the first `ip netns add` after our namespaces were mounted
// (by anyone: a user's script, a test, another tool) bind-mounts
// /run/netns onto itself and hides our mounts under the new one: the
// files stay visible, but unmounting them says "not mounted" and removing
// them "device or resource busy", so the lab's namespaces could never be
// deleted again. With /run/netns already a mount point, iproute2 leaves
// it as it is. (A mount in the host's mount namespace, the one iproute2
// makes: no network state of the host changes.)
func prepareNetnsDir() error {
	if err := os.MkdirAll(netnsRunDir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", netnsRunDir, err)
	}
	for made := false; ; made = true {
		err := unix.Mount("", netnsRunDir, "none", unix.MS_SHARED|unix.MS_REC, "")
		if err == nil {
			return nil
		}
		// EINVAL: not a mount point yet (or, once made, something else).
		if !errors.Is(err, unix.EINVAL) || made {
			return fmt.Errorf("make %s a shared mount: %w", netnsRunDir, err)
		}
		if err := unix.Mount(netnsRunDir, netnsRunDir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind %s onto itself: %w", netnsRunDir, err)
		}
	}
}
