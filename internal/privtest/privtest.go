package privtest

import (
	"os"
	"testing"

	"github.com/vishvananda/netns"

	"github.com/mirrorlab/mirrorlab/internal/nsrun"
)

// EnvRequire is the environment variable that turns a privileged skip into a
// failure.
const EnvRequire = "MIRRORLAB_REQUIRE_PRIVILEGED"

// Check reports whether privileged tests can run here. When they cannot,
// reason says why, and mustFail says whether the caller must fail rather than
// skip (MIRRORLAB_REQUIRE_PRIVILEGED=1).
func Check() (ok bool, reason string, mustFail bool) {
	return check(os.Geteuid(), os.Getenv(EnvRequire))
}

func check(euid int, require string) (ok bool, reason string, mustFail bool) {
	if euid == 0 {
		return true, "", false
	}
	reason = "privileged test: needs root (network namespaces, veth, AF_PACKET)"
	return false, reason, require == "1"
}

// Require skips tb unless the process is root; with
// MIRRORLAB_REQUIRE_PRIVILEGED=1 it fails tb instead of skipping.
func Require(tb testing.TB) {
	tb.Helper()
	ok, reason, mustFail := Check()
	if ok {
		return
	}
	if mustFail {
		tb.Fatalf("%s, and %s=1 forbids skipping", reason, EnvRequire)
	}
	tb.Skip(reason)
}

// Netns returns a fresh, unnamed network namespace with loopback up
// (nsrun.New), closed when tb ends; like every privileged helper it
// requires root (see Require).
func Netns(tb testing.TB) netns.NsHandle {
	tb.Helper()
	Require(tb)
	ns, err := nsrun.New()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ns.Close() })
	return ns
}
