// Package suite runs the whole bench: the kernel references (package ref),
// our mirror data plane and decap agent in the emulated VPC (package vpc),
// and the peer agent, several runs each, and gathers the figures into a
// report.Result with same-run ratios and plots.
package suite
