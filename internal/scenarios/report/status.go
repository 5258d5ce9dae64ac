package report

import "github.com/mirrorlab/mirrorlab/internal/labstatus"

// LabStatus is what a lab has done so far: the counters that `mirrorlab
// status` shows.
type LabStatus = labstatus.Status

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
