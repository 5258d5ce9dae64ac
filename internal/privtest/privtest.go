package privtest

import (
	"errors"
	"os"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

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
	if !ok {
		skip(tb, reason, mustFail)
	}
}

// skip skips tb for reason, or fails it when mustFail.
func skip(tb testing.TB, reason string, mustFail bool) {
	tb.Helper()
	if mustFail {
		tb.Fatalf("%s, and %s=1 forbids skipping", reason, EnvRequire)
		return
	}
	tb.Skip(reason)
}

// SkipIfNotSupported skips tb when err says the running kernel lacks a
// feature, as cilium/ebpf's internal testutils does: an error wrapping
// ebpf.ErrNotSupported (what cilium/ebpf returns "whenever the kernel
// doesn't support a feature", and its feature probes' one conclusive
// negative), or ENOSYS (a kernel without the bpf system call). With
// MIRRORLAB_REQUIRE_PRIVILEGED=1 it fails tb instead: CI's kernel must
// support everything. Any other err, and nil, it leaves to the caller.
func SkipIfNotSupported(tb testing.TB, err error) {
	tb.Helper()
	skipIfNotSupported(tb, err, os.Getenv(EnvRequire))
}

func skipIfNotSupported(tb testing.TB, err error, require string) {
	tb.Helper()
	if errors.Is(err, ebpf.ErrNotSupported) || errors.Is(err, unix.ENOSYS) {
		skip(tb, "the kernel lacks support: "+err.Error(), require == "1")
	}
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
