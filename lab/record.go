package lab

// Record is what a lab's state file says of it, beside the namespaces:
// for exec, status and down. A running lab's owner rewrites it every
// second with the lab's counters; a kept run's holds its last figures.
type Record struct {
	Info
	// Kept: left by run --keep; nobody owns it and nothing mirrors any
	// more, but its namespaces and addresses are there to poke at.
	Kept bool `json:"kept,omitempty"`
	// Log is the owner's output when it runs detached (up -d).
	Log string `json:"log,omitempty"`
	// Counters are the lab's figures, as of Counters.Updated.
	Counters Status `json:"counters"`
}

// State is what a recorded lab is doing now.
type State string

// The states of a recorded lab.
const (
	Running  State = "running"  // its owner runs it
	Kept     State = "kept"     // run --keep: no owner, no mirroring
	Orphaned State = "orphaned" // its owner died: Clean removes it
)

// Entry is a recorded lab and what it is doing.
type Entry struct {
	Record Record
	State  State
}
