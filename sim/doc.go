// Package sim realises an emulated VPC on the local Linux kernel: a network
// namespace per instance, a fabric namespace per VPC with a bridge per subnet
// and the VPC router, a veth pair per ENI. It knows nothing of mirroring, and
// never changes the host's own network namespace.
package sim
