// Package ref builds the kernel references the bench measures our figures
// against, each in namespaces of its own (sim.Namespaces, so `mirrorlab clean`
// sweeps what a killed run left): plain veth
// forwarding from a generator namespace to a sink namespace, the same
// through kernel VXLAN devices, and the kernel's own mirror — tc clsact with
// a u32 match-all filter and `action mirred egress mirror` into a VXLAN
// device towards a target namespace (matchall and flower are missing on some
// kernels, u32 is everywhere).
package ref
