// Package runner runs a scenario end to end on Linux: it turns the
// scenario into a lab.Config and builds the lab (package lab: the emulated
// VPC and the mirror service), starts the programs (built-ins in-process
// inside their instance's namespace, or any command), drives the traffic,
// lets it settle, collects the counters, what the receivers captured and
// what the servers got, always tears down, and judges the expectations.
// Each kind of program (every built-in, and the command) is one type in
// one file (builtin_<name>_linux.go, program_command_linux.go) with its
// check of its args, its description and its start, registered in
// programKinds; each kind of traffic step is sent by its row of
// trafficRunners. Up and Serve build the same lab and keep it running
// instead. Package
// report judges the expectations; the result types are report's, so
// nothing that renders or merges a report imports runner.
package runner
