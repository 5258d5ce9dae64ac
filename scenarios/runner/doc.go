// Package runner runs a scenario end to end on Linux: it builds the
// emulated VPC (sim), starts the mirror service (dataplane), the
// programs (built-ins in-process inside their instance's namespace, or any
// command), drives the traffic, lets it settle, collects the counters, what
// the receivers captured and what the servers got, always tears down, and
// has package report judge the expectations. The result types are
// report's; nothing that renders or merges a report imports runner.
package runner
