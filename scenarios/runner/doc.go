// Package runner runs a scenario end to end on Linux: it turns the
// scenario into a lab.Config and builds the lab (package lab: the emulated
// VPC and the mirror service), starts the programs (built-ins in-process
// inside their instance's namespace, or any command), drives the traffic,
// lets it settle, collects the counters, what the receivers captured and
// what the servers got, always tears down, and judges the expectations.
// Up and Serve build the same lab and keep it running instead. Package
// report judges the expectations; the result types are report's, so
// nothing that renders or merges a report imports runner.
package runner
