// Package netlab builds the bench's small reference networks: named network
// namespaces joined by veth pairs, with addresses, kernel VXLAN devices and
// commands (tc, ip) run inside them. Every namespace is named
// ml<run id>-<role> and recorded in a state file of package sim/state before
// it exists, so `mirrorlab clean` (sim.Sweep) removes what a killed run left;
// Close removes everything it made. The host's own namespace is never
// changed.
//
// The emulated VPC of the product is package sim; this is only what the
// kernel references need (two or three namespaces in a line).
package netlab
