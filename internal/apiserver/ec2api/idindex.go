package ec2api

import "github.com/mirrorlab/mirrorlab/cloudmock"

// idIndex counts the own resource ids of the published Spec, as
// cloudmock's EachID gives them (an instance's id once per interface
// naming it), with their kind. The server keeps one under the mutation
// lock: built from the whole Spec at the first change that needs it, then
// brought up to date from each committed change's differences
// (cloudmock.Change.EachOwnID). Drawing a new id, or checking the ids a
// tag request names, then costs what the change changes instead of an
// index of the whole account per change.
type idIndex map[string]idCount

type idCount struct {
	kind cloudmock.IDKind
	n    int
}

// newIDIndex indexes the own ids of a Spec.
func newIDIndex(s *cloudmock.Spec) idIndex {
	x := idIndex{}
	s.EachID(func(r cloudmock.IDRef) {
		if r.Own && *r.ID != "" {
			x.add(r.Kind, *r.ID, true)
		}
	})
	return x
}

// add counts an id in (added) or out.
func (x idIndex) add(kind cloudmock.IDKind, id string, added bool) {
	c := x[id]
	if added {
		x[id] = idCount{kind: kind, n: c.n + 1}
		return
	}
	if c.n <= 1 {
		delete(x, id)
		return
	}
	c.n--
	x[id] = c
}

// update brings the index from a change's prev to its next.
func (x idIndex) update(c *cloudmock.Change) { c.EachOwnID(x.add) }

// idIndex returns the index of the published state, building it the
// first time. The caller holds s.wmu (or is New, before publishing).
func (s *Server) idIndex() idIndex {
	if s.ids == nil {
		s.ids = newIDIndex(&s.cur.Load().spec)
	}
	return s.ids
}

// resourceTypesOf is resourceTypes(&st.spec) for the ids named (the others
// left out), for a change that has removed nothing yet: the index answers
// for the ids of the published state, and only an id it does not know
// (one the change itself added, or none) costs a walk of the change's
// Spec.
func (st *state) resourceTypesOf(ids []string) map[string]string {
	rtype := func(k cloudmock.IDKind) (string, bool) {
		for _, t := range taggable {
			if t.id == k {
				return t.rtype, true
			}
		}
		return "", false
	}
	index, out := st.srv.idIndex(), map[string]string{}
	var all map[string]string
	for _, id := range ids {
		if c, ok := index[id]; ok {
			if t, ok := rtype(c.kind); ok {
				out[id] = t
				continue
			}
		}
		if all == nil {
			all = resourceTypes(&st.spec)
		}
		if t, ok := all[id]; ok {
			out[id] = t
		}
	}
	return out
}
