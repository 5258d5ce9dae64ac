// Package cloudmock is a pure-Go model of a cloud provider's VPC Traffic
// Mirroring (AWS and Alibaba Cloud semantics): resources, validation, the
// decision for a packet seen at a source ENI, VXLAN encapsulation, delivery
// checks at the target, and the provider's counters. It makes no syscalls;
// the Linux data plane lives in the dataplane sub-package.
package cloudmock
