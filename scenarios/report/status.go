package report

import "time"

// LabStatus is what a running lab (Up, Serve, or a kept run's last
// figures) has done so far: the counters that `mirrorlab status` shows.
type LabStatus struct {
	Updated time.Time `json:"updated"`
	// Sessions are the mirror sessions' counters (mirrored, truncated,
	// delivered or dropped by cause).
	Sessions []SessionResult `json:"sessions,omitempty"`
	// DataPlane sums the mirror service's own counters.
	DataPlane *DataPlaneStats `json:"dataPlane,omitempty"`
	// Agents are the agent programs' counters, by program.
	Agents map[string]map[string]float64 `json:"agents,omitempty"`
	// Servers are the http-server programs' received requests, by program.
	Servers map[string]int `json:"servers,omitempty"`
}

// StatusOf is the status that a finished run leaves: its last figures
// (for a lab kept with Options.Keep).
func StatusOf(r *Result) LabStatus {
	st := LabStatus{Updated: r.Started.Add(r.Duration), Sessions: r.Sessions, DataPlane: r.DataPlane}
	for _, p := range r.Programs {
		switch {
		case p.Stats != nil:
			if st.Agents == nil {
				st.Agents = map[string]map[string]float64{}
			}
			st.Agents[p.Name] = p.Stats
		case p.Kind == "http-server":
			if st.Servers == nil {
				st.Servers = map[string]int{}
			}
			st.Servers[p.Name] = p.Requests
		}
	}
	return st
}
