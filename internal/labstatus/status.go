// Package labstatus holds the plain types that describe a lab and what it
// has done (Info, Status, Session, DataPlaneStats) and the names of its
// build phases, so that reports render and merge them without importing
// package lab and the data plane behind it. It imports only the model.
package labstatus

import (
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// The phases of Build, as Config.Phase receives them.
const (
	PhaseBuild     = "build"      // the namespaces, links, addresses, VXLAN devices
	PhaseDataPlane = "data plane" // the mirror service (and Config.Started)
)

// Info describes a lab: where its instances live and their addresses.
type Info struct {
	PID      int       `json:"pid"`
	RunID    string    `json:"runId"`
	Scenario string    `json:"scenario"`
	File     string    `json:"file"`
	Started  time.Time `json:"started"`
	// Instances maps each instance to its network namespace (/run/netns).
	Instances map[string]string `json:"instances"`
	// Addrs maps instance/interface to its address; Addrs6 to its IPv6
	// address, for the interfaces that have one.
	Addrs  map[string]string `json:"addrs"`
	Addrs6 map[string]string `json:"addrs6,omitempty"`
}

// Status is what a lab has done so far: the counters `mirrorlab status`
// shows.
type Status struct {
	Updated time.Time `json:"updated"`
	// Sessions are the mirror sessions' counters (mirrored, truncated,
	// delivered or dropped by cause).
	Sessions []Session `json:"sessions,omitempty"`
	// DataPlane sums the mirror service's own counters.
	DataPlane *DataPlaneStats `json:"dataPlane,omitempty"`
	// Agents are the agent programs' counters, by program.
	Agents map[string]map[string]float64 `json:"agents,omitempty"`
	// Servers are the http-server programs' received requests, by program.
	Servers map[string]int `json:"servers,omitempty"`
}

// Session is one mirror session's counters.
type Session struct {
	Name   string `json:"name"`
	Target string `json:"target"`
	VNI    uint32 `json:"vni"`
	cloudmock.SessionCounters
}

// DataPlaneStats are the mirror service's counters over all source
// interfaces (see dataplane.PipeStats).
type DataPlaneStats struct {
	Captured  uint64            `json:"captured"`
	Mirrored  uint64            `json:"mirrored"`
	Sent      uint64            `json:"sent"`
	RingDrops uint64            `json:"ringDrops"`
	Dropped   map[string]uint64 `json:"dropped,omitempty"`
	// Kernel of the Mirrored copies were decided and sent by the
	// in-kernel path; UserSpace lists the source ENI directions it left
	// to user space whole, with the reason ("eni-1 ingress: ..."), or
	// KernelOff why it did not run.
	Kernel    uint64   `json:"kernel"`
	UserSpace []string `json:"userSpace,omitempty"`
	KernelOff string   `json:"kernelOff,omitempty"`
}
