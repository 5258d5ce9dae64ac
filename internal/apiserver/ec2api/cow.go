package ec2api

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// A change starts from the published Spec and shares its lists: the lists
// the action declares it writes (mutateIn) are deep copies of their own,
// the others stay the published ones, so a change costs the lists it
// writes rather than the account. The filters, the list an account holds
// thousands of, go further: an action that does not declare them writes
// a filter through filterW (the list copied shallowly, that filter
// deeply), appends with appendFilter (in the published array's spare
// room when no published Spec sees it) and removes with removeFilter, and
// the change remembers the window it touched, so the model compares that
// window alone (cloudmock.DiffWithin). The filters, targets and sessions
// are lists of pointers: a copy of the list (80 KB at 10 000) shares every
// resource the change does not write. The targets and sessions are
// appended to a copy of the list and removed from one (tm_targets.go,
// tm_sessions.go); a session modified is a copy of the published one, put
// in its place in a copy of the list; the places below find a filter, a rule or a target
// without a walk of the account.

// filterWrites is what a change did to the filters it shares with the
// published Spec.
type filterWrites struct {
	own     bool         // the list's array is the change's (a shallow copy)
	mine    map[int]bool // the elements whose parts are the change's own
	touched bool
	lo      int // the elements before lo are the published ones
	tail    int // and so are the last tail elements
}

// touch notes that element i of a list of n elements (before the
// operation) was written or removed.
func (fw *filterWrites) touch(i, n int) {
	if !fw.touched {
		fw.touched, fw.lo, fw.tail = true, i, n-1-i
		return
	}
	fw.lo, fw.tail = min(fw.lo, i), max(0, min(fw.tail, n-1-i))
}

// window is the part of the list that may differ between the published
// list of prevN elements and the change's of nextN.
func (fw *filterWrites) window(prevN, nextN int) cloudmock.Window {
	if !fw.touched {
		return cloudmock.Window{Lo: prevN, PrevHi: prevN, NextHi: nextN}
	}
	return cloudmock.Window{Lo: fw.lo, PrevHi: max(fw.lo, prevN-fw.tail), NextHi: max(fw.lo, nextN-fw.tail)}
}

// sharedFilters says the change writes the filters through filterW and
// its siblings (it did not declare them).
func (st *state) sharedFilters() bool { return !st.deep.Has(cloudmock.FiltersList) }

// ownFilters makes the filter list's array the change's own (its
// elements still share their parts).
func (st *state) ownFilters() {
	if fw := &st.fw; !fw.own {
		st.spec.TrafficMirrorFilters = slices.Clone(st.spec.TrafficMirrorFilters)
		fw.own = true
	}
}

// filterW returns filter i for writing.
func (st *state) filterW(i int) *cloudmock.TrafficMirrorFilter {
	fs := st.spec.TrafficMirrorFilters
	if !st.sharedFilters() {
		return fs[i]
	}
	st.ownFilters()
	fs = st.spec.TrafficMirrorFilters
	fw := &st.fw
	if !fw.mine[i] {
		fs[i] = fs[i].Clone()
		if fw.mine == nil {
			fw.mine = map[int]bool{}
		}
		fw.mine[i] = true
	}
	fw.touch(i, len(fs))
	return fs[i]
}

// appendFilter adds f (whose parts are its own) at the end of the list.
func (st *state) appendFilter(f *cloudmock.TrafficMirrorFilter) {
	fs := st.spec.TrafficMirrorFilters
	if !st.sharedFilters() {
		st.spec.TrafficMirrorFilters = append(fs, f)
		st.placed(len(fs), f.TrafficMirrorFilterId, "")
		return
	}
	fw := &st.fw
	if !fw.own && !st.srv.front.roomAfter(fs) {
		st.ownFilters()
	}
	fw.touch(len(fs), len(fs)+1)
	st.spec.TrafficMirrorFilters = append(st.spec.TrafficMirrorFilters, f)
	st.placed(len(fs), f.TrafficMirrorFilterId, "")
	if fw.mine == nil {
		fw.mine = map[int]bool{}
	}
	fw.mine[len(fs)] = true
}

// removeFilter removes filter i.
func (st *state) removeFilter(i int) {
	fs := st.spec.TrafficMirrorFilters
	if !st.sharedFilters() {
		st.spec.TrafficMirrorFilters = slices.Delete(fs, i, i+1)
		return
	}
	fw := &st.fw
	fw.touch(i, len(fs))
	if i == len(fs)-1 && !fw.own { // the end cut: the published array is left as it is
		st.spec.TrafficMirrorFilters = fs[:i]
		delete(fw.mine, i)
		return
	}
	st.ownFilters()
	st.spec.TrafficMirrorFilters = slices.Delete(st.spec.TrafficMirrorFilters, i, i+1)
	mine := map[int]bool{}
	for k := range fw.mine {
		switch {
		case k < i:
			mine[k] = true
		case k > i:
			mine[k-1] = true
		}
	}
	fw.mine = mine
}

// frontier is how far any published Spec sees into the array of the
// published filter list: past it, the array's spare room is no published
// Spec's, and a change may append there without copying the list.
type frontier struct {
	array **cloudmock.TrafficMirrorFilter
	n     int
}

// arrayOf is the first element of a list's array (nil without room).
func arrayOf(fs []*cloudmock.TrafficMirrorFilter) **cloudmock.TrafficMirrorFilter {
	if cap(fs) == 0 {
		return nil
	}
	return &fs[:1][0]
}

// roomAfter says a change may append to fs in place: fs is the published
// array seen to its frontier, with room left.
func (f *frontier) roomAfter(fs []*cloudmock.TrafficMirrorFilter) bool {
	return cap(fs) > len(fs) && arrayOf(fs) == f.array && len(fs) >= f.n
}

// publish notes the list of a Spec being published.
func (f *frontier) publish(fs []*cloudmock.TrafficMirrorFilter) {
	if a := arrayOf(fs); a != f.array {
		f.array, f.n = a, len(fs)
		return
	}
	f.n = max(f.n, len(fs))
}

// filterPlaces remembers where the filters and their rules are in the
// filter list, so that an action finds the one it names without a walk
// of the account. It is a cache, kept under the mutation lock: every
// answer is checked against the list, and an entry found wrong (a
// filter moved by a removal before it) has it rebuilt, which costs what
// that removal did.
type filterPlaces struct {
	filter map[string]int // filter id → index
	rule   map[string]int // rule id → index of its filter
	target map[string]int // target id → index in the target list, apart
}

// build indexes every filter and rule of fs.
func (p *filterPlaces) build(fs []*cloudmock.TrafficMirrorFilter) {
	p.filter, p.rule = make(map[string]int, len(fs)), make(map[string]int, len(fs))
	for i := range fs {
		p.filter[fs[i].TrafficMirrorFilterId] = i
		for _, rules := range [2][]cloudmock.TrafficMirrorFilterRule{fs[i].IngressFilterRules, fs[i].EgressFilterRules} {
			for _, r := range rules {
				p.rule[r.TrafficMirrorFilterRuleId] = i
			}
		}
	}
}

// lookup answers the index of the filter that at(i) says holds id: the
// entry of m when it is right; when it is wrong, from the places rebuilt
// from fs; without one, from a walk of fs (an id the list does not hold,
// or one that a change that failed kept out of the places). -1 when fs
// does not hold it.
func (p *filterPlaces) lookup(fs []*cloudmock.TrafficMirrorFilter, m func() map[string]int, id string, at func(i int) bool) int {
	if p.filter == nil {
		p.build(fs)
	}
	i, ok := m()[id]
	switch {
	case ok && i < len(fs) && at(i):
		return i
	case ok:
		p.build(fs)
		if i, ok := m()[id]; ok && at(i) {
			return i
		}
		return -1
	}
	for i := range fs {
		if at(i) {
			m()[id] = i
			return i
		}
	}
	return -1
}

// filterIndex is findFilter on the change's Spec, through the places.
func (st *state) filterIndex(id string) int {
	fs, p := st.spec.TrafficMirrorFilters, &st.srv.places
	i := p.lookup(fs, func() map[string]int { return p.filter }, id, func(i int) bool { return fs[i].TrafficMirrorFilterId == id })
	if st.srv.verify && i != findFilter(&st.spec, id) {
		st.srv.broken = cmp.Or(st.srv.broken, fmt.Errorf("the places put filter %s at %d, the list at %d", id, i, findFilter(&st.spec, id)))
	}
	return i
}

// ruleRef is findRule on the change's Spec, through the places.
func (st *state) ruleRef(id string) (ruleRef, bool) {
	fs, p := st.spec.TrafficMirrorFilters, &st.srv.places
	var ref ruleRef
	i := p.lookup(fs, func() map[string]int { return p.rule }, id, func(i int) bool {
		for _, dir := range [2]string{dirIngress, dirEgress} {
			rules := *rulesOf(fs[i], dir)
			if j := slices.IndexFunc(rules, func(r cloudmock.TrafficMirrorFilterRule) bool { return r.TrafficMirrorFilterRuleId == id }); j >= 0 {
				ref = ruleRef{filter: i, dir: dir, rule: j}
				return true
			}
		}
		return false
	})
	if st.srv.verify {
		if want, ok := findRule(&st.spec, id); ok != (i >= 0) || ok && want != ref {
			st.srv.broken = cmp.Or(st.srv.broken, fmt.Errorf("the places put rule %s at %+v, the list at %+v", id, ref, want))
		}
	}
	return ref, i >= 0
}

// placed notes where a filter, or a rule of filter i, now is (rule ""
// for the filter itself).
func (st *state) placed(i int, filter, rule string) {
	p := &st.srv.places
	if p.filter == nil {
		return // built at the first lookup, from the list as it is then
	}
	if rule != "" {
		p.rule[rule] = i
	} else {
		p.filter[filter] = i
	}
}

// targetIndex is findTarget on the change's Spec, through the places of
// the targets (kept as the filters' are: checked against the list,
// rebuilt when found wrong, a walk for an id they do not hold).
func (st *state) targetIndex(id string) int {
	ts, p := st.spec.TrafficMirrorTargets, &st.srv.places
	at := func(i int) bool { return ts[i].TrafficMirrorTargetId == id }
	i, ok := p.target[id]
	switch {
	case ok && i < len(ts) && at(i):
	case ok || p.target == nil:
		p.target = make(map[string]int, len(ts))
		for k, t := range ts {
			p.target[t.TrafficMirrorTargetId] = k
		}
		if i, ok = p.target[id]; !ok {
			i = -1
		}
	default:
		i = slices.IndexFunc(ts, func(t *cloudmock.TrafficMirrorTarget) bool { return t.TrafficMirrorTargetId == id })
	}
	if st.srv.verify && i != findTarget(&st.spec, id) {
		st.srv.broken = cmp.Or(st.srv.broken, fmt.Errorf("the places put target %s at %d, the list at %d", id, i, findTarget(&st.spec, id)))
	}
	return i
}

// placedTarget notes that target id is now at i.
func (st *state) placedTarget(i int, id string) {
	if p := &st.srv.places; p.target != nil {
		p.target[id] = i
	}
}
