// Package netlab builds the bench's small reference networks: named network
// namespaces joined by veth pairs, with addresses, kernel VXLAN devices and
// commands (tc, ip) run inside them. Every namespace is named
// ml<run id>-<role>, the run id carries the owner's process id so Sweep can
// remove what a killed run left, and Close removes everything it made. The
// host's own namespace is never changed.
//
// The emulated VPC of the product is package sim; this is only what the
// kernel references need (two or three namespaces in a line).
package netlab
