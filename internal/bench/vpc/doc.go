// Package vpc is the bench's emulated VPC for our own figures: the reference
// walk-through's subnets (public, adapter, test) built by package sim, with a
// client instance that drives traffic at the production instance, the mirror
// data plane copying production's traffic to the adapter (directly, or
// through an NLB or a GWLB endpoint of the adapter subnet: MirrorTarget), and
// helpers to listen and dial inside the instances.
package vpc
