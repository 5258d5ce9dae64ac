package ec2api

import (
	"fmt"
	"maps"
	"sort"
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// What EC2 shows of an instance beyond the model: when it was launched,
// the transient states it passes through on a clock (pending -> running,
// stopping -> stopped, shutting-down -> terminated, each lasting
// transitionTime) and, once terminated, what it was, for about an hour.
// The model holds only running or stopped instances; these records are
// presentation, kept with the published state.

// transitionTime is how long an instance stays pending, stopping or
// shutting-down. The Terraform provider's waiters first look after 10 s,
// so a short transition costs it nothing while clients that poll see
// every state EC2 shows.
const transitionTime = 2 * time.Second

// terminatedRetention is how long a terminated instance is still
// described; maxTerminated bounds how many are kept.
const (
	terminatedRetention = time.Hour
	maxTerminated       = 1000
)

// EC2's instance state codes.
const (
	statePending      = 0
	stateRunning      = 16
	stateShuttingDown = 32
	stateTerminated   = 48
	stateStopping     = 64
	stateStopped      = 80
)

var stateNames = map[int]string{
	statePending: "pending", stateRunning: "running", stateShuttingDown: "shutting-down",
	stateTerminated: "terminated", stateStopping: "stopping", stateStopped: "stopped",
}

// instRecord is one instance's presentation.
type instRecord struct {
	launched    time.Time
	reservation string
	launchIndex int
	// since is when the last transition began, toward the model's State
	// (or termination): pending after a launch or start, stopping after
	// a stop.
	since time.Time
	// reason is the state transition reason EC2 shows ("" when none).
	reason string
	// meta are the instance metadata options asked at launch.
	meta xmlMetadataOptions
	// token is the launch's ClientToken.
	token string
	// monitored (detailed monitoring) and ebsOptimized are shown as the
	// launch or MonitorInstances asked.
	monitored, ebsOptimized bool
	// gone is the instance as it was when terminated (nil while it is in
	// the model).
	gone *goneInstance
}

// goneInstance is what a terminated instance still shows.
type goneInstance struct {
	inst           cloudmock.Instance
	subnet, vpc    string
	primaryIP, eni string
	tags           map[string]string
}

// instRecords are the records by instance id. A published map is never
// changed: a mutation changes a copy (put).
type instRecords map[string]instRecord

// put stores a record in the state's own copy of the records.
func (st *state) putRecord(id string, r instRecord) {
	if !st.instOwned {
		st.inst = maps.Clone(st.inst)
		if st.inst == nil {
			st.inst = instRecords{}
		}
		st.instOwned = true
	}
	st.inst[id] = r
}

// updateRecord changes a copy of a live instance's record and stores it.
func (st *state) updateRecord(in *instance, change func(r *instRecord)) {
	r := in.rec
	change(&r)
	st.putRecord(in.id, r)
}

// userInitiated is the state reason of a stop or termination a user asked
// for at t.
func userInitiated(t time.Time) string {
	return fmt.Sprintf("User initiated (%s)", t.UTC().Format("2006-01-02 15:04:05 GMT"))
}

// now is the server's clock.
func (s *Server) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// stateCode is the state an instance shows now: in is its model entry
// (nil once terminated), r its record (zero for a scenario's instance,
// which has always been running).
func stateCode(in *cloudmock.Instance, r instRecord, now time.Time) int {
	settled := now.Sub(r.since) >= transitionTime
	switch {
	case r.gone != nil && settled:
		return stateTerminated
	case r.gone != nil:
		return stateShuttingDown
	case in != nil && !in.Running() && settled:
		return stateStopped
	case in != nil && !in.Running():
		return stateStopping
	case settled:
		return stateRunning
	}
	return statePending
}

// pruneTerminated forgets terminated instances shown for longer than
// terminatedRetention, and the oldest beyond maxTerminated. Of records
// terminated at the same instant the least id goes first (an unstable
// sort of the map's random order would keep a different one each time).
func (st *state) pruneTerminated(now time.Time) {
	var gone []string
	for id, r := range st.inst {
		if r.gone != nil {
			gone = append(gone, id)
		}
	}
	sort.Slice(gone, func(i, j int) bool {
		a, b := st.inst[gone[i]].since, st.inst[gone[j]].since
		return a.Before(b) || a.Equal(b) && gone[i] < gone[j]
	})
	for i, id := range gone {
		if now.Sub(st.inst[id].since) > terminatedRetention || len(gone)-i > maxTerminated {
			st.dropRecord(id)
		}
	}
}

// dropRecord forgets an instance's record.
func (st *state) dropRecord(id string) {
	if _, ok := st.inst[id]; !ok {
		return
	}
	if !st.instOwned {
		st.inst = maps.Clone(st.inst)
		st.instOwned = true
	}
	delete(st.inst, id)
}

// readAll runs a query on the published state, records included (see
// call.read).
func (c *call) readAll(fn func(cur *published) (any, error)) (any, error) {
	if c.dry {
		return nil, errDryRun()
	}
	return fn(c.s.cur.Load())
}
