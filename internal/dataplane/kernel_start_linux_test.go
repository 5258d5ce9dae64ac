package dataplane

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/features"
	"golang.org/x/sys/unix"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/dataplane/internal/kpath"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// TestKernelUnsupported: only what says the kernel lacks a feature lets
// the service fall back to user space.
func TestKernelUnsupported(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"ErrNotSupported wrapped", fmt.Errorf("load program: %w", ebpf.ErrNotSupported), true},
		{"no bpf system call", fmt.Errorf("map create: %w", unix.ENOSYS), true},
		{"not permitted", fmt.Errorf("map create: %w (MEMLOCK may be too low)", unix.EPERM), false},
		{"verifier rejection", &ebpf.VerifierError{Cause: unix.EACCES, Log: []string{"R1 invalid mem access 'scalar'"}}, false},
		{"anything else", errors.New("attach: device or resource busy"), false},
	} {
		if got := kernelUnsupported(c.err); got != c.want {
			t.Errorf("%s (%v): kernelUnsupported %v, want %v", c.name, c.err, got, c.want)
		}
	}
}

// rejectedLoad returns a loader failing as the verifier rejects a
// program: a real rejection (a read of an uninitialised register), named
// as kpath.Load names it.
func rejectedLoad(t *testing.T) func() (*kpath.Path, error) {
	_, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.SchedCLS, License: "MIT",
		Instructions: asm.Instructions{asm.Mov.Reg(asm.R0, asm.R5), asm.Return()}})
	var ve *ebpf.VerifierError
	if !errors.As(err, &ve) {
		t.Fatalf("the broken program loaded or failed otherwise: %v", err)
	}
	return func() (*kpath.Path, error) {
		return nil, fmt.Errorf("load kernel mirror path: field KpathTcIngress: program kpath_tc_ingress: %w (verifier log tail: %v)", err, ve.Log)
	}
}

// TestPrivilegedKernelStartErrors: a kernel that lacks support leaves the
// service running in user space, saying why; a verifier rejection fails
// Start with an error naming the program and the verifier's words.
func TestPrivilegedKernelStartErrors(t *testing.T) {
	lab := testLab(t)
	// A real probe's negative answer counts too (its error type is the
	// library's own, matched by errors.Is): a socket filter may not
	// redirect.
	if err := features.HaveProgramHelper(ebpf.SocketFilter, asm.FnCloneRedirect); err == nil || !kernelUnsupported(err) {
		t.Errorf("probe of bpf_clone_redirect in a socket filter: %v, want an error taken as unsupported", err)
	}
	spec := baseSpec()
	addSession(&spec, "tms-web", "web", "tgt1", 1, 1, cloudmock.TrafficMirrorFilter{
		IngressFilterRules: rules{rule(100, "accept", 17, 0, 0)},
	})
	unsupported := func() (*kpath.Path, error) {
		return nil, fmt.Errorf("load kernel mirror path: %w", fmt.Errorf("tcx: %w", ebpf.ErrNotSupported))
	}
	svc, _ := startService(t, lab, spec, func(c *Config) { c.loadKernel = unsupported })
	if !errors.Is(svc.kernErr, ErrKernelUnsupported) || !errors.Is(svc.kernErr, ebpf.ErrNotSupported) {
		t.Errorf("kernel error %v: want ErrKernelUnsupported wrapping the loader's", svc.kernErr)
	}
	k := svc.Snapshot().Kernel
	if k.Enabled || !strings.Contains(k.Why, ErrKernelUnsupported.Error()) || !strings.Contains(k.Why, "tcx") {
		t.Errorf("kernel stats %+v: want the in-kernel path off, saying the kernel lacks support", k)
	}

	m, err := cloudmock.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	svc, err = Start(context.Background(), Config{Model: m, Spec: &spec, Lab: lab, loadKernel: rejectedLoad(t)})
	if err == nil {
		svc.Close()
		t.Fatal("Start succeeded after a verifier rejection: it fell back to user space")
	}
	var ve *ebpf.VerifierError
	if errors.Is(err, ErrKernelUnsupported) || !errors.As(err, &ve) ||
		!strings.Contains(err.Error(), "kpath_tc_ingress") || !strings.Contains(err.Error(), "R5 !read_ok") {
		t.Errorf("Start error %v: want the verifier rejection, naming the program and the log's last words", err)
	}
}

// TestPrivilegedAttachErrorNamesThePort: a source whose port the kernel
// programs cannot be put on fails Start with an error naming the network
// interface and its port (once with its fabric), not an index alone.
func TestPrivilegedAttachErrorNamesThePort(t *testing.T) {
	lab := testLab(t)
	spec := baseSpec()
	addSession(&spec, "tms-web", "web", "tgt1", 1, 1, cloudmock.TrafficMirrorFilter{
		IngressFilterRules: rules{rule(100, "accept", 17, 0, 0)},
	})
	m, err := cloudmock.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	web := lab.ENIByIP(netip.MustParseAddr("10.0.0.5"))
	if web == nil {
		t.Fatal("no ENI at 10.0.0.5 in the test lab")
	}
	gone := *web
	gone.PeerIndex = 1 << 30 // no such device in the fabric
	svc, err := Start(context.Background(), Config{Model: m, Spec: &spec, Lab: lab,
		ENIs: map[string]*sim.ENI{"eni-web": &gone}})
	if err == nil {
		svc.Close()
		t.Fatal("Start succeeded with a source port that does not exist")
	}
	if !strings.Contains(err.Error(), "network interface eni-web") || !strings.Contains(err.Error(), web.PeerName) ||
		strings.Count(err.Error(), "fabric ") != 1 {
		t.Errorf("Start error %q: want it to name network interface eni-web and its port %s, and the fabric once", err, web.PeerName)
	}
}
