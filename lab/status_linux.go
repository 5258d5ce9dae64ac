package lab

import (
	"maps"
	"os"
	"slices"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/labstatus"
)

// Info describes the lab.
func (l *Lab) Info() Info {
	info := Info{PID: os.Getpid(), RunID: l.sim.RunID(), Scenario: l.cfg.Name, File: l.cfg.File, Started: l.started,
		Instances: map[string]string{}, Addrs: map[string]string{}}
	for _, in := range l.sim.Instances() {
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

// OnStatus registers f to add to the lab's Status what the caller runs on
// it (its programs' counters). f must not call the lab's methods.
func (l *Lab) OnStatus(f func(*Status)) {
	l.mu.Lock()
	l.status = append(l.status, f)
	l.mu.Unlock()
}

// statusNow reads the lab's counters: the mirror service's, per session and
// in total, and what OnStatus adds.
func (l *Lab) statusNow() Status {
	st := Status{Updated: time.Now()}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.svc != nil {
		snap := l.svc.Snapshot()
		t := snap.Totals
		st.DataPlane = &labstatus.DataPlaneStats{Captured: t.Captured, Mirrored: t.Mirrored, Sent: t.Sent, RingDrops: t.RingDrops, Dropped: t.Dropped}
		// The model in force, not the spec the lab started from: a served
		// lab's sessions come and go through the API.
		model := l.svc.Model()
		for _, id := range slices.Sorted(maps.Keys(snap.Model.Sessions)) {
			vni, _ := model.SessionVNI(id)
			target, _ := model.SessionTarget(id)
			st.Sessions = append(st.Sessions, labstatus.Session{Name: id, Target: target, VNI: vni, SessionCounters: snap.Model.Sessions[id]})
		}
	}
	for _, f := range l.status {
		f(&st)
	}
	return st
}
