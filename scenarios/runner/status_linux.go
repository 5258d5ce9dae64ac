package runner

import "github.com/mirrorlab/mirrorlab/lab"

// programStatus adds the programs' counters to the lab's status.
func (r *run) programStatus(st *lab.Status) {
	for _, p := range r.progs {
		if p.run != nil {
			p.run.status(p.spec.Name, st)
		}
	}
}
