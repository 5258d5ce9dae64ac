package cloudmock

// maxDeltaFilters bounds the filters a change may touch for ValidateChange
// to check them alone; beyond it, the whole Spec is validated.
const maxDeltaFilters = 64

// ValidateChange answers what next.Validate() answers, in time that
// follows the change rather than the account, provided prev (the state
// next was made from) is valid: the API server's published state always
// is. It compares the two Specs list by list (diffSpecs); when nothing
// changed, next is valid; when only mirror filters changed, it runs the
// model's own checks of a filter (the same code as Validate) on the
// changed filters alone, and checks what involves the other resources
// (unique ids, the account's filter quota, sessions naming a filter that
// went). Whatever it cannot clear, and any problem it finds, goes to
// next.Validate(), so the answer (errors, their order and wording) is
// always Validate's: ValidateChange only ever skips work on a valid
// change.
func (next *Spec) ValidateChange(prev *Spec) error {
	_, err := next.validateChange(prev)
	return err
}

// validateChange is ValidateChange; cleared says the change was found
// valid without Validate.
func (next *Spec) validateChange(prev *Spec) (cleared bool, err error) {
	d := diffSpecs(prev, next)
	if d.only() {
		return true, nil
	}
	if d.only(listFilters) && filtersChangeValid(prev, next, d.lists[listFilters]) {
		return true, nil
	}
	return false, next.Validate()
}

// filtersChangeValid says that next, made from the valid prev by changing
// the filters of sp alone, passes Validate. false means "not shown", not
// "invalid".
func filtersChangeValid(prev, next *Spec, sp span) bool {
	if sp.nextHi-sp.lo > maxDeltaFilters || sp.prevHi-sp.lo > maxDeltaFilters {
		return false
	}
	prof, err := LookupProfile(next.Profile)
	if err != nil {
		return false
	}
	if q := prof.Quotas.FiltersPerAccount; q > 0 && len(next.TrafficMirrorFilters) > q {
		return false
	}
	v := &validator{prof: prof}
	now := map[string]bool{} // the ids of the changed filters, now
	for i := sp.lo; i < sp.nextHi; i++ {
		f := &next.TrafficMirrorFilters[i]
		if f.TrafficMirrorFilterId == "" || now[f.TrafficMirrorFilterId] {
			return false
		}
		now[f.TrafficMirrorFilterId] = true
		v.filter(i, f)
	}
	if len(v.errs) > 0 {
		return false
	}
	before := map[string]bool{} // their ids before: distinct from the others', prev being valid
	for _, f := range prev.TrafficMirrorFilters[sp.lo:sp.prevHi] {
		before[f.TrafficMirrorFilterId] = true
	}
	return !newIDTaken(next.TrafficMirrorFilters, sp, now, before) && !goneFilterNamed(next, now, before)
}

// newIDTaken says whether an id the change gave a filter (in now, not in
// before) is also the id of a filter outside the span.
func newIDTaken(fs []TrafficMirrorFilter, sp span, now, before map[string]bool) bool {
	fresh := false
	for id := range now {
		fresh = fresh || !before[id]
	}
	if !fresh {
		return false
	}
	for i := range fs {
		if id := fs[i].TrafficMirrorFilterId; (i < sp.lo || i >= sp.nextHi) && now[id] && !before[id] {
			return true
		}
	}
	return false
}

// goneFilterNamed says whether a session names a filter id that the change
// took away (in before, not in now). The sessions are prev's: only filters
// changed.
func goneFilterNamed(next *Spec, now, before map[string]bool) bool {
	gone := map[string]bool{}
	for id := range before {
		if !now[id] {
			gone[id] = true
		}
	}
	if len(gone) == 0 {
		return false
	}
	for i := range next.TrafficMirrorSessions {
		if gone[next.TrafficMirrorSessions[i].TrafficMirrorFilterId] {
			return true
		}
	}
	return false
}
