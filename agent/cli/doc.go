// Package cli is the mirror-agent command line: flags (a drop-in for the
// reference agent's -destination, -filter-request-port, -percentage,
// -percentage-by, -percentage-by-header and -keep-host-header, plus the
// agent's own), logging, signals and exit codes. cmd/mirror-agent and
// `mirrorlab agent` both call Main.
package cli
