package nsrun_test

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/mirrorlab/mirrorlab/internal/nsrun"
	"github.com/mirrorlab/mirrorlab/internal/privtest"
)

func TestPrivilegedRunLeavesCallerInPlace(t *testing.T) {
	privtest.Require(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()

	name := fmt.Sprintf("mlnsruntest%d", runtime.NumGoroutine()%1000)
	ns, err := netns.NewNamed(name)
	if err != nil {
		t.Fatal(err)
	}
	// NewNamed moved this thread into ns: go back before anything else.
	if err := netns.Set(orig); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ns.Close()
		if err := netns.DeleteNamed(name); err != nil {
			t.Errorf("delete namespace %s: %v", name, err)
		}
	})

	var inside netns.NsHandle
	err = nsrun.RunNamed(name, func() error {
		h, err := netns.Get()
		inside = h
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer inside.Close()
	if !inside.Equal(ns) {
		t.Fatalf("fn ran in %v, want %v", inside, ns)
	}
	now, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer now.Close()
	if !now.Equal(orig) {
		t.Fatal("caller's thread left its namespace")
	}

	want := errors.New("boom")
	if got := nsrun.RunNamed(name, func() error { return want }); !errors.Is(got, want) {
		t.Fatalf("RunNamed error = %v, want %v", got, want)
	}
	if err := nsrun.RunNamed("ml-no-such-namespace", func() error { return nil }); err == nil {
		t.Fatal("RunNamed on a missing namespace: want an error")
	}
}

// TestPrivilegedNew: a namespace of its own, with loopback up, and the
// caller's namespace unchanged.
func TestPrivilegedNew(t *testing.T) {
	privtest.Require(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	ns, err := nsrun.New()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	if ns.Equal(orig) {
		t.Fatal("New returned the caller's namespace")
	}
	if cur, err := netns.Get(); err != nil || !cur.Equal(orig) {
		t.Fatalf("the caller's namespace changed (%v)", err)
	}
	err = nsrun.Run(ns, func() error {
		lo, err := netlink.LinkByName("lo")
		if err != nil {
			return err
		}
		if lo.Attrs().Flags&net.FlagUp == 0 {
			return errors.New("lo is down")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
