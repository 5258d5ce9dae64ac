package runner

import (
	"os"
	"sort"
	"sync"
	"time"
)

// labInfo describes the run's lab (built: r.lab is set).
func (r *run) labInfo() LabInfo {
	info := LabInfo{PID: os.Getpid(), RunID: r.lab.RunID(), Scenario: r.s.Name, File: r.s.File, Started: r.res.Started,
		Instances: map[string]string{}, Addrs: map[string]string{}}
	for _, in := range r.lab.Instances() {
		info.Instances[in.Name] = in.NsName
		for _, e := range in.ENIs {
			info.Addrs[in.Name+"/"+e.IfName] = e.IP.String()
			if e.IPv6.IsValid() {
				if info.Addrs6 == nil {
					info.Addrs6 = map[string]string{}
				}
				info.Addrs6[in.Name+"/"+e.IfName] = e.IPv6.String()
			}
		}
	}
	return info
}

// status reads the running lab's counters.
func (r *run) status() LabStatus {
	st := LabStatus{Updated: time.Now()}
	if r.svc != nil {
		snap := r.svc.Snapshot()
		t := snap.Totals
		st.DataPlane = &DataPlaneStats{Captured: t.Captured, Mirrored: t.Mirrored, Sent: t.Sent, RingDrops: t.RingDrops, Dropped: t.Dropped}
		ids := make([]string, 0, len(snap.Model.Sessions))
		for id := range snap.Model.Sessions {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		// The model in force, not the spec the lab started from: a served
		// lab's sessions come and go through the API.
		model := r.svc.Model()
		for _, id := range ids {
			vni, _ := model.SessionVNI(id)
			target, _ := model.SessionTarget(id)
			st.Sessions = append(st.Sessions, SessionResult{Name: id, Target: target, VNI: vni, SessionCounters: snap.Model.Sessions[id]})
		}
	}
	for _, p := range r.progs {
		switch {
		case p.agent != nil:
			if st.Agents == nil {
				st.Agents = map[string]map[string]float64{}
			}
			st.Agents[p.spec.Name] = flatten(p.agent.Stats())
		case p.server != nil:
			if st.Servers == nil {
				st.Servers = map[string]int{}
			}
			st.Servers[p.spec.Name] = len(p.server.Requests())
		}
	}
	return st
}

// statusGuard hands out the lab's status until the lab starts to come
// down (close), then only the last one read.
type statusGuard struct {
	mu     sync.Mutex
	r      *run
	last   LabStatus
	closed bool
}

func (g *statusGuard) get() LabStatus {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closed {
		g.last = g.r.status()
	}
	return g.last
}

// close reads the status a last time; later calls of get return it.
func (g *statusGuard) close() {
	g.get()
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}
