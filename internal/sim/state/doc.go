// Package state records what a sim run creates, so that the run can be
// cleaned up after its owner died: one JSON file per run in a state
// directory (default /run/mirrorlab) naming the run id, the owner process
// (PID and start time, so a reused PID is not mistaken for the owner) and the
// network namespaces of the run. The file is written before any namespace is
// created. Sweep removes the runs whose owner is gone and touches nothing
// else: not live runs, not namespaces a state file does not list, not names
// without the run's prefix.
package state
