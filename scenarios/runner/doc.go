// Package runner runs a scenario end to end on Linux: it builds the
// emulated VPC (sim), starts the mirror service (dataplane), the
// programs (built-ins in-process inside their instance's namespace, or any
// command), drives the traffic, lets it settle, collects the counters, what
// the receivers captured and what the servers got, always tears down, and
// judges the expectations. Judge and the reports are plain Go and tested
// without root.
package runner
