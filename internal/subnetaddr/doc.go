// Package subnetaddr is the one home of AWS's rules for the addresses of a
// subnet, IPv4 or IPv6: the first four addresses (network, VPC router, Amazon
// DNS, reserved for future use) and the last one (broadcast) are the
// provider's; the router is base + 1, the resolver base + 2; an interface
// without an address gets the lowest free one (Allocator).
//
// It is a leaf of the standard library only, so that the provider model
// (cloudmock), the emulated VPC (sim, which must know nothing of mirroring
// and so never imports cloudmock itself), the scenario loader and the API
// server all share these rules without importing one another.
package subnetaddr
