package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/apiserver/ec2api"
	"github.com/mirrorlab/mirrorlab/internal/apiserver/httpserve"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/export"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/scenarios"
)

// defaultListen is where serve listens: LocalStack's port, on loopback.
const defaultListen = "127.0.0.1:4566"

type serveOpts struct {
	listen   string
	noLab    bool
	empty    bool
	stateDir string
	// accessKeyID, when set, is the access key id every request must be
	// signed with (randomKey draws one).
	accessKeyID string
	randomKey   bool
	// provider is the API served: "aws" (EC2) or "alibaba" (Alibaba
	// Cloud's VPC OpenAPI); "" follows the scenario's profile.
	provider string
	// ready, when set, is called with the endpoint once the API answers
	// (tests).
	ready func(endpoint string)
}

func newServeCmd(a *app) *cobra.Command {
	var o serveOpts
	cmd := &cobra.Command{
		Use:   "serve [FILE]",
		Short: "Serve the EC2 API over a running lab (the aws CLI, SDKs, Terraform)",
		Long: `Serve builds the scenario's lab as mirrorlab up does (network, mirror service,
programs), gives its resources AWS-shaped ids (eni-…, vpc-…, tmf-…; stable for
a given file) with a Name tag holding the scenario's name, and serves the EC2
Query API over it, so that the aws CLI, an SDK or Terraform drive the emulated
mirror service: every change they make is applied to the running data plane
at once (a session created starts mirroring, a rule changed changes what is
mirrored, a security group or network ACL changed at the target changes
delivery). It prints the endpoint, the environment a client needs and the
network interfaces with their Name tags, and runs until Ctrl-C or mirrorlab
down; mirrorlab exec works against its lab.

Who can reach the API: it listens on ` + defaultListen + ` (loopback) unless
--listen names another address, so every program of every user of this
machine reaches it, not only yours. Web pages cannot: a request whose Host
is not localhost or the listen address (DNS rebinding), that a browser page
sent (Origin, Sec-Fetch-Site), or that changes the state with GET is
refused. Signatures (SigV4) are not verified: any dummy credentials do,
unless --access-key-id KEY (or --random-access-key-id, printed at start)
is given; then only requests signed with that access key id are served
(the secret key is not checked), which keeps the other users of a shared
machine out. Beyond loopback, anyone who reaches the address can change
the lab: give it an access key id there. A request must arrive whole
within 30s, and at most 256 connections are open at once (more are
answered 503). With --no-lab only the API runs (no root needed): changes
are validated and kept, nothing mirrors.

A scenario with the alibaba profile (or --provider alibaba) is served with
Alibaba Cloud's VPC OpenAPI (2016-04-28, traffic mirroring, with ECS
DescribeNetworkInterfaces and SLB DescribeLoadBalancers) instead, with
Alibaba-shaped ids (eni-…, vsw-…, tmf-…, tms-…, lb-…), for Alibaba's SDKs.

FILE is a scenario file or a name of the embedded library; with no FILE, the
reference walk-through. Needs root on Linux, unless --no-lab.

With --empty (and no FILE) the API starts from what a new AWS account has in
us-east-1: a default VPC 172.31.0.0/16 with a default /20 subnet per
availability zone, its default security group and network ACL, and no
instances; the lab is that network (or nothing, with --no-lab), and it
follows what the API creates and deletes: each VPC, subnet, instance
(with its interfaces), load balancer, peering and transit gateway is
built or removed as the call is answered, captured by the mirror service
at once, and an instance's "#!" user data runs inside it until it stops
or terminates.`,
		Example: `  sudo mirrorlab serve
  # in another terminal:
  export AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
  aws ec2 describe-network-interfaces --filters Name=tag:Name,Values=web-eni
  mirrorlab serve --no-lab --listen 127.0.0.1:5000 rule-order`,
		GroupID:           groupLabs,
		Args:              maxArgs(1, "a scenario FILE"),
		ValidArgsFunction: completeScenarios(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runServe(cmd.Context(), a, firstArg(args), o)
		},
	}
	cmd.Flags().StringVar(&o.listen, "listen", defaultListen, "`address:port` of the API (another address than loopback only when named here)")
	cmd.Flags().BoolVar(&o.noLab, "no-lab", false, "serve the API only: no lab, no root needed")
	cmd.Flags().BoolVar(&o.empty, "empty", false, "start from a new account's default VPC instead of a FILE")
	cmd.Flags().StringVar(&o.accessKeyID, "access-key-id", "", "serve only requests signed with this access key id (a shared secret; the secret key is not checked)")
	cmd.Flags().BoolVar(&o.randomKey, "random-access-key-id", false, "as --access-key-id, with a random key id printed at start")
	cmd.MarkFlagsMutuallyExclusive("access-key-id", "random-access-key-id")
	providerFlag(cmd, &o.provider)
	stateDirFlag(cmd, &o.stateDir)
	return cmd
}

// checkListen refuses an address serve cannot listen on, and says whether
// it is outside loopback.
func checkListen(addr string) (exposed bool, err error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false, usageError{fmt.Errorf("--listen %q: want address:port (e.g. %s): %w", addr, defaultListen, err)}
	}
	if port == "" {
		return false, usageError{fmt.Errorf("--listen %q: no port", addr)}
	}
	if host == "localhost" {
		return false, nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		if host == "" {
			return true, nil // every address
		}
		return false, usageError{fmt.Errorf("--listen %q: want an IP address or localhost, got %q", addr, host)}
	}
	return !ip.IsLoopback(), nil
}

func runServe(ctx context.Context, a *app, file string, o serveOpts) error {
	exposed, err := checkListen(o.listen)
	if err != nil {
		return err
	}
	if o.randomKey {
		o.accessKeyID = "AKML" + rand.Text()[:16]
	}
	if o.empty {
		return runServeEmpty(ctx, a, file, exposed, o)
	}
	s, err := scenarios.LoadContext(ctx, file)
	if err != nil {
		return failed(err)
	}
	if ps := s.ModelProblems(); ps != nil {
		return failed(ps)
	}
	ms := s.Model()
	if alibaba, err := servesAlibaba(o.provider, ms); err != nil || alibaba {
		if err != nil {
			return err
		}
		return runServeAlibaba(ctx, a, s, ms, o)
	}
	return runServeEC2(ctx, a, s, ms, exposed, o)
}

// Footers of serve's listing: with a lab, and with --no-lab.
const (
	labFooter   = "mirrorlab exec INSTANCE -- CMD runs a command inside; Ctrl-C or mirrorlab down ends the lab"
	noLabFooter = "API only (--no-lab): changes are validated and kept, nothing mirrors"
)

// runServeEC2 is serve with the EC2 API over a scenario.
func runServeEC2(ctx context.Context, a *app, s *spec.Scenario, ms cloudmock.Spec, exposed bool, o serveOpts) error {
	fwd := &applyForwarder{}
	srv, names, err := newEC2Server(a, s, ms, fwd)
	if err != nil {
		return err
	}
	ln, start, err := listenEC2(a, o, exposed, "the lab's mirror configuration", srv, s, names, func(footer string) string { return footer })
	if err != nil {
		return err
	}
	defer ln.Close()
	return serveAPIOrLab(ctx, a, s, srv.Spec(), names, o, start, fwd)
}

// newEC2Server builds the EC2 API server for a scenario: ids AWS-shaped
// and stable for the file, changes handed to fwd.
func newEC2Server(a *app, s *spec.Scenario, ms cloudmock.Spec, fwd *applyForwarder) (*ec2api.Server, map[string]string, error) {
	served, names := ec2api.AssignIDs(ms, s.Name) // stable for a given file
	cfg := ec2api.Config{Spec: served, Names: names, Apply: fwd.apply, TargetHealth: fwd.health,
		ConsoleOutput: fwd.consoleOutput, Seed: s.Seed()}
	// Without the scenario's source, GET /mirrorlab/scenario cannot keep
	// its comments and order: say so once and serve everything else.
	src, err := scenarioSource(s)
	var ex *export.Exporter
	if err == nil {
		ex, err = export.New(s.File, src, names)
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "warning: mirrorlab export and GET /mirrorlab/scenario are off: %v\n", err)
	} else {
		cfg.Export = ex.Export
	}
	srv, err := ec2api.New(cfg)
	if err != nil {
		return nil, nil, failed(fmt.Errorf("serve %s: %w", s.File, err))
	}
	return srv, names, nil
}

// listenAPI binds the API's address, before a lab is built so that a port
// in use fails first, and warns when the API is reachable beyond loopback
// with no access key id: anyone could then change what exposes names.
func listenAPI(a *app, o serveOpts, exposed bool, exposes string) (net.Listener, error) {
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return nil, failed(fmt.Errorf("listen on %s: %w", o.listen, err))
	}
	if exposed && o.accessKeyID == "" {
		fmt.Fprintf(a.stderr, "warning: the API listens on %s, beyond loopback: anyone who reaches it can change %s (signatures are not verified; --access-key-id requires one key id)\n", o.listen, exposes)
	}
	return ln, nil
}

// listenEC2 binds the EC2 API's address (see listenAPI) and puts srv
// behind the guard. It returns the listener, for the caller to close, and
// what starts serving on it: that prints the listing of s with names (its
// footer made by more) and tells o.ready.
func listenEC2(a *app, o serveOpts, exposed bool, exposes string, srv *ec2api.Server, s *spec.Scenario, names map[string]string,
	more func(footer string) string) (net.Listener, func(footer string) (stop func() error), error) {
	ln, err := listenAPI(a, o, exposed, exposes)
	if err != nil {
		return nil, nil, err
	}
	serve, err := guardedStart(srv, ln, httpserve.GuardOptions{AccessKeyID: o.accessKeyID, Refuse: srv.Refuse})
	if err != nil {
		ln.Close()
		return nil, nil, failed(err)
	}
	endpoint := "http://" + ln.Addr().String()
	return ln, func(footer string) func() error {
		stop := serve()
		printServe(a.stdout, endpoint, o.accessKeyID, s, srv.Spec(), names, more(footer))
		if o.ready != nil {
			o.ready(endpoint)
		}
		return stop
	}, nil
}

// serveAPIOrLab serves the API alone (--no-lab) or with a lab of s that
// follows it from st; start starts the API and prints its listing with a
// footer.
func serveAPIOrLab(ctx context.Context, a *app, s *spec.Scenario, st cloudmock.Spec, names map[string]string, o serveOpts,
	start func(footer string) (stop func() error), fwd *applyForwarder) error {
	if o.noLab {
		return serveAPIOnly(ctx, a, fwd, start)
	}
	return serveLab(ctx, a, s, st, names, o, func() func() error { return start(labFooter) }, fwd)
}

// serveAPIOnly is serve --no-lab: start (which prints the listing with
// the footer it is given and returns the API's stop) serves the API
// until ctx ends; every change it accepts is kept, none is applied.
func serveAPIOnly(ctx context.Context, a *app, fwd *applyForwarder, start func(footer string) (stop func() error)) error {
	fwd.set(func(cloudmock.Spec) error { return nil }, nil)
	stop := start(noLabFooter)
	<-ctx.Done()
	if err := stop(); err != nil {
		return failed(err)
	}
	fmt.Fprintln(a.stdout, "API stopped")
	return nil
}

// guardedStart puts h behind httpserve's guard (g, listening on ln) and
// returns what starts serving it on ln (and its stop).
func guardedStart(h http.Handler, ln net.Listener, g httpserve.GuardOptions) (func() (stop func() error), error) {
	g.Listen = ln.Addr().String()
	handler, err := httpserve.Guard(h, g)
	if err != nil {
		return nil, err
	}
	return func() (stop func() error) {
		hs := httpserve.Start(ln, handler, httpserve.Options{})
		return func() error {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return hs.Shutdown(sctx)
		}
	}, nil
}

// applyForwarder hands the server's accepted states to the running lab,
// once it runs (before that, a change is refused), and asks the lab's
// health checks for DescribeTargetHealth (without a lab, registered
// targets are healthy, as the model starts them).
type applyForwarder struct {
	mu       sync.Mutex
	fn       func(cloudmock.Spec) error
	healthFn func(lb, eni string) (bool, error)
	consFn   func(instanceID string) ([]byte, error)
	// follow: the lab's network follows the served model (serve --empty:
	// the API creates and deletes VPCs, subnets, instances…), not only
	// its mirror configuration.
	follow bool
}

func (f *applyForwarder) set(fn func(cloudmock.Spec) error, health func(lb, eni string) (bool, error)) {
	f.mu.Lock()
	f.fn, f.healthFn = fn, health
	f.mu.Unlock()
}

func (f *applyForwarder) apply(s cloudmock.Spec) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fn == nil {
		return errors.New("the lab is not running")
	}
	return f.fn(s)
}

// setConsole sets where consoleOutput reads instances' user data output
// (nil: none).
func (f *applyForwarder) setConsole(fn func(string) ([]byte, error)) {
	f.mu.Lock()
	f.consFn = fn
	f.mu.Unlock()
}

// consoleOutput is an instance's user data output, as the running lab
// keeps it (lab.Lab.ConsoleOutput); empty without a lab. It is the EC2
// API's GetConsoleOutput hook (ec2api.Config.ConsoleOutput).
func (f *applyForwarder) consoleOutput(id string) ([]byte, error) {
	f.mu.Lock()
	fn := f.consFn
	f.mu.Unlock()
	if fn == nil {
		return nil, nil
	}
	return fn(id)
}

func (f *applyForwarder) health(lb, eni string) (bool, error) {
	f.mu.Lock()
	h := f.healthFn
	f.mu.Unlock()
	if h == nil {
		return true, nil
	}
	return h(lb, eni)
}

// scenarioSource returns the bytes the scenario was read from.
func scenarioSource(s *spec.Scenario) ([]byte, error) {
	switch {
	case s.File == scenarios.DefaultName:
		return scenarios.Default(), nil
	case strings.HasPrefix(s.File, "library/"):
		lib, _ := scenarios.Library()
		if b, ok := lib[strings.TrimPrefix(s.File, "library/")]; ok {
			return b, nil
		}
	}
	return os.ReadFile(s.File)
}

// printServe prints the endpoint, the client's environment and the
// network interfaces with their Name tags.
func printServe(w io.Writer, endpoint, keyID string, s *spec.Scenario, st cloudmock.Spec, names map[string]string, footer string) {
	fmt.Fprintf(w, "EC2 API for %s (%s) on %s\n", s.Name, s.File, endpoint)
	if keyID == "" {
		keyID = "test"
		fmt.Fprintln(w, "environment for the aws CLI and the SDKs (credentials are not checked):")
	} else {
		fmt.Fprintln(w, "environment for the aws CLI and the SDKs (requests must be signed with this access key id; the secret key is not checked):")
	}
	fmt.Fprintf(w, "  export AWS_ENDPOINT_URL=%s AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=test\n", endpoint, keyID)
	printENIs(w, st, names, "  %-22s %-16s Name=%s\n")
	fmt.Fprintln(w, footer)
}

// printENIs lists the network interfaces by name, each line with format
// (id, address, name).
func printENIs(w io.Writer, st cloudmock.Spec, names map[string]string, format string) {
	fmt.Fprintln(w, "network interfaces:")
	enis := slices.Clone(st.NetworkInterfaces)
	sort.Slice(enis, func(i, j int) bool { return names[enis[i].NetworkInterfaceId] < names[enis[j].NetworkInterfaceId] })
	for _, e := range enis {
		fmt.Fprintf(w, format, e.NetworkInterfaceId, e.PrivateIpAddress, names[e.NetworkInterfaceId])
	}
}
