package runner

import "github.com/mirrorlab/mirrorlab/lab"

// programStatus adds the programs' counters to the lab's status.
func (r *run) programStatus(st *lab.Status) {
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
}
