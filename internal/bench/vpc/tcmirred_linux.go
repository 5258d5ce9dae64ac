package vpc

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// tcMirredDev is the VXLAN device of the in-VPC kernel reference, inside
// the fabric namespace (removed with it when a killed run is cleaned).
func (e *Env) tcMirredDev() string { return "ml" + e.Lab.RunID() + "-vx" }

// StartTCMirred installs the kernel's own mirror on the same path as ours:
// on production's fabric port (egress towards production, what it
// receives), a clsact u32 match-all mirred into a VXLAN device (VNI
// MirrorVNI) to the adapter, routed by the fabric like our copies. Stop our
// mirror first: both would send a copy. StopTCMirred removes it.
func (e *Env) StartTCMirred(ctx context.Context) error {
	if e.lab.Service() != nil {
		return errors.New("start tc mirred in the bench vpc: the mirror service is running")
	}
	f := e.Lab.Fabric("bench")
	port := ENI(e.Prod).PeerName
	dev := e.tcMirredDev()
	steps := [][]string{
		{"ip", "-n", f.NsName, "link", "add", dev, "type", "vxlan", "id", strconv.Itoa(MirrorVNI),
			"remote", ENI(e.Adapter).IP.String(), "dstport", strconv.Itoa(VXLANPort), "dev", f.Bridge("adapter").Name},
		{"ip", "-n", f.NsName, "link", "set", dev, "up"},
		{"tc", "-n", f.NsName, "qdisc", "add", "dev", port, "clsact"},
		{"tc", "-n", f.NsName, "filter", "add", "dev", port, "egress", "protocol", "all", "prio", "1",
			"u32", "match", "u32", "0", "0", "action", "mirred", "egress", "mirror", "dev", dev},
	}
	for _, s := range steps {
		if out, err := exec.CommandContext(ctx, s[0], s[1:]...).CombinedOutput(); err != nil {
			return errors.Join(fmt.Errorf("tc mirred in the bench vpc: %v: %w: %s", s, err, out), e.StopTCMirred())
		}
	}
	return nil
}

// StopTCMirred removes what StartTCMirred installed (nothing to do when it
// is not installed).
func (e *Env) StopTCMirred() error {
	f := e.Lab.Fabric("bench")
	port := ENI(e.Prod).PeerName
	var errs []error
	for _, s := range [][]string{
		{"tc", "-n", f.NsName, "qdisc", "del", "dev", port, "clsact"},
		{"ip", "-n", f.NsName, "link", "del", e.tcMirredDev()},
	} {
		out, err := exec.Command(s[0], s[1:]...).CombinedOutput()
		if err != nil && !notFound(string(out)) {
			errs = append(errs, fmt.Errorf("remove tc mirred from the bench vpc: %v: %w: %s", s, err, out))
		}
	}
	return errors.Join(errs...)
}

// notFound reports whether tc or ip said that there was nothing to remove.
func notFound(out string) bool {
	for _, s := range []string{"Cannot find device", "No such file or directory", "Invalid handle", "Cannot delete qdisc with handle of zero"} {
		if strings.Contains(out, s) {
			return true
		}
	}
	return false
}
