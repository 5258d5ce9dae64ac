package sim

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/mirrorlab/mirrorlab/internal/nsrun"
	"github.com/mirrorlab/mirrorlab/internal/sim/state"
)

// Namespaces is a set of bare network namespaces of one run, outside any
// VPC: for set-ups that are not a VPC, such as the bench's kernel
// references (two or three namespaces joined by veth pairs). Each is named
// ml<run id>-<role>, listed in the run's state file before it exists (so
// Sweep removes what a killed run left) and made as a lab's namespaces are
// (IPv6 off, no reverse-path filter, loopback up). Close removes them all.
// The host's own namespace is never changed. Not safe for concurrent use.
type Namespaces struct {
	runID, stateDir string
	roles           []string
	nss             []*Namespace
	closed          bool
}

// Namespace is one namespace of a Namespaces set.
type Namespace struct {
	Name string
	ns   netns.NsHandle
	nl   *netlink.Handle
}

// NewNamespaces records a run whose namespaces will be ml<id>-<role> for the
// given roles in a state file under stateDir (state.DefaultDir when empty).
// Nothing is created yet: Add creates each.
func NewNamespaces(stateDir string, roles ...string) (*Namespaces, error) {
	stateDir = cmp.Or(stateDir, state.DefaultDir)
	r, err := recordRun(stateDir, "", func(id string) []string {
		names := make([]string, len(roles))
		for i, role := range roles {
			names[i] = state.Prefix(id) + role
		}
		return names
	})
	if err != nil {
		return nil, err
	}
	return &Namespaces{runID: r.RunID, stateDir: stateDir, roles: roles}, nil
}

// RunID returns the run id the namespaces are named after.
func (s *Namespaces) RunID() string { return s.runID }

// Add creates the namespace ml<run id>-<role> (like `ip netns add`); role
// must be one given to NewNamespaces.
func (s *Namespaces) Add(role string) (*Namespace, error) {
	if s.closed {
		return nil, fmt.Errorf("add namespace %s: %w", role, errClosed)
	}
	if !slices.Contains(s.roles, role) {
		return nil, fmt.Errorf("namespace role %q was not recorded by NewNamespaces", role)
	}
	name := state.Prefix(s.runID) + role
	ns, h, err := createNamespace(name, commonSysctls)
	if err != nil {
		return nil, err
	}
	n := &Namespace{Name: name, ns: ns, nl: h}
	s.nss = append(s.nss, n)
	return n, nil
}

// Handle is the namespace's handle (valid until Close).
func (n *Namespace) Handle() netns.NsHandle { return n.ns }

// Netlink is a route netlink handle inside the namespace (valid until
// Close), like `ip -n NAME`.
func (n *Namespace) Netlink() *netlink.Handle { return n.nl }

// Run calls fn on a throwaway OS thread inside the namespace; the caller's
// thread never moves.
func (n *Namespace) Run(fn func() error) error { return nsrun.Run(n.ns, fn) }

// Close kills any process left in the namespaces, deletes them (which
// removes every interface in them) and, when all of that worked, the state
// file. It returns every error, joined; a second call does nothing.
func (s *Namespaces) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	names := make([]string, len(s.nss))
	for i, n := range s.nss {
		names[i] = n.Name
	}
	var errs []error
	if _, err := state.KillInNamespaces(names, StopGrace); err != nil {
		errs = append(errs, err)
	}
	for _, n := range slices.Backward(s.nss) {
		n.nl.Close()
		errs = append(errs, closeNS(n.ns, n.Name), state.DeleteNamespace(n.Name))
	}
	s.nss = nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close namespaces of run %s (state kept in %s for a later sweep): %w", s.runID, s.stateDir, err)
	}
	return state.Remove(s.stateDir, s.runID)
}
