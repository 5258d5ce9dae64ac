package privtest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

func TestCheck(t *testing.T) {
	cases := []struct {
		name                 string
		euid                 int
		require              string
		wantOK, wantMustFail bool
	}{
		{"root runs", 0, "", true, false},
		{"root runs even when required", 0, "1", true, false},
		{"non-root skips", 1000, "", false, false},
		{"non-root skips on other values", 1000, "0", false, false},
		{"non-root fails when required", 1000, "1", false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ok, reason, mustFail := check(c.euid, c.require)
			if ok != c.wantOK || mustFail != c.wantMustFail {
				t.Fatalf("check(%d, %q) = ok %v mustFail %v, want ok %v mustFail %v",
					c.euid, c.require, ok, mustFail, c.wantOK, c.wantMustFail)
			}
			if !ok && reason == "" {
				t.Fatal("a refusal must give a reason")
			}
		})
	}
}

// recorder is a testing.TB whose Skip and Fatalf record instead of
// stopping the test.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}
func (r *recorder) Skip(args ...any) {
	r.skipped, r.msg = true, fmt.Sprint(args...)
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
}

func TestSkipIfNotSupported(t *testing.T) {
	unsupported := fmt.Errorf("attach tcx: %w", ebpf.ErrNotSupported)
	cases := []struct {
		name                string
		err                 error
		require             string
		wantSkip, wantFatal bool
	}{
		{"no error", nil, "", false, false},
		{"not supported skips", unsupported, "", true, false},
		{"no bpf system call skips", fmt.Errorf("create map: %w", unix.ENOSYS), "", true, false},
		{"not supported fails when required", unsupported, "1", false, true},
		{"not permitted is left to the caller", fmt.Errorf("load: %w", unix.EPERM), "", false, false},
		{"a verifier rejection is left to the caller", &ebpf.VerifierError{Cause: unix.EACCES}, "1", false, false},
		{"anything else is left to the caller", errors.New("boom"), "", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &recorder{TB: t}
			skipIfNotSupported(r, c.err, c.require)
			if r.skipped != c.wantSkip || r.failed != c.wantFatal {
				t.Fatalf("skipped %v failed %v (%q), want skipped %v failed %v", r.skipped, r.failed, r.msg, c.wantSkip, c.wantFatal)
			}
			if (r.skipped || r.failed) && c.err != nil && !strings.Contains(r.msg, c.err.Error()) {
				t.Errorf("message %q does not carry the error %q", r.msg, c.err)
			}
		})
	}
}
