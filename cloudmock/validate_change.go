package cloudmock

import "slices"

// maxDeltaFilters bounds the filters a change may touch for
// Change.Validate to check them alone; beyond it, the whole Spec is validated.
const maxDeltaFilters = 64

// Change is the difference between a Spec and the next one, as a change
// of the account makes it: per resource list, the span that differs
// (diffSpecs, in time that follows the size of the Specs but allocates
// nothing). The API server computes it once per change, to validate the
// change and to keep its indexes of the account up to date.
type Change struct {
	prev, next *Spec
	d          specDiff
	// known, when set, says whether an id may be the own id of one of
	// prev's resources (WithIDs).
	known func(id string) bool
}

// Diff returns the change from prev to next. Neither may change while
// the Change is used.
func Diff(prev, next *Spec) *Change {
	return &Change{prev: prev, next: next, d: diffSpecs(prev, next, nil)}
}

// DiffWithin is Diff for a next whose filters are prev's outside the
// window w (the caller, which made next, knows what it touched): only the
// filters in w are compared, so the change costs what it touched rather
// than the account. A wrong window hides a difference: the API server's
// tests check the window against the whole lists.
func DiffWithin(prev, next *Spec, w Window) *Change {
	return &Change{prev: prev, next: next, d: diffSpecs(prev, next, &w)}
}

// WithIDs gives the change an index of prev's ids: known(id) is false
// only for an id that is no resource's own id in prev. Validate then
// checks a new filter id against it instead of against every filter (the
// answer is the same). It returns c.
func (c *Change) WithIDs(known func(id string) bool) *Change {
	c.known = known
	return c
}

// Validate answers what next.Validate() answers, in time that follows the
// change rather than the account, provided prev is valid (the API
// server's published state always is). When nothing changed, next is
// valid; when only mirror filters changed, the model's own checks of a
// filter (the same code as Validate's) run on the changed filters alone,
// and what involves the other resources is checked apart (unique ids, the
// account's filter quota, sessions naming a filter that went); so do
// the mirror targets (targetsChangeValid) and sessions
// (sessionsChangeValid) changed alone. Whatever
// it cannot clear, and any problem it finds, goes to next.Validate()
// (less the filters' checks when the filters did not change), so the
// answer (errors, their order and wording) is always Validate's: only
// the work on a valid change is skipped.
func (c *Change) Validate() error {
	_, err := c.validate()
	return err
}

// validate is Validate; cleared says the change was found valid without
// next.Validate().
func (c *Change) validate() (cleared bool, err error) {
	if c.d.only() {
		return true, nil
	}
	if c.d.only(listFilters) && filtersChangeValid(c.prev, c.next, c.d.lists[listFilters], c.known) {
		return true, nil
	}
	if c.d.only(listTargets) && targetsChangeValid(c.prev, c.next, c.d.lists[listTargets], c.known) {
		return true, nil
	}
	if c.d.only(listSessions) && sessionsChangeValid(c.prev, c.next, c.d.lists[listSessions], c.known) {
		return true, nil
	}
	return false, c.next.validate(&c.d)
}

// EachOwnID calls fn for each resource's own id (EachID's Own ids, not
// empty) in the resources that differ: prev's with added false, then
// next's with added true. A resource changed in place gives its id
// twice, removed then added; an instance's id comes once per network
// interface naming it, as EachID gives it.
func (c *Change) EachOwnID(fn func(kind IDKind, id string, added bool)) {
	for k, s := range [2]*Spec{c.prev, c.next} {
		part := c.d.part(s, k == 1)
		part.EachID(func(r IDRef) {
			if r.Own && *r.ID != "" {
				fn(r.Kind, *r.ID, k == 1)
			}
		})
	}
}

// part is the Spec holding only the changed span of each of s's lists
// (s is the change's prev, or its next when next is true).
func (d *specDiff) part(s *Spec, next bool) *Spec {
	l := &d.lists
	return &Spec{
		Vpcs:                         sub(s.Vpcs, l[listVpcs], next),
		VpcPeeringConnections:        sub(s.VpcPeeringConnections, l[listPeerings], next),
		TransitGateways:              sub(s.TransitGateways, l[listTransitGateways], next),
		TransitGatewayVpcAttachments: sub(s.TransitGatewayVpcAttachments, l[listAttachments], next),
		Subnets:                      sub(s.Subnets, l[listSubnets], next),
		RouteTables:                  sub(s.RouteTables, l[listRouteTables], next),
		NetworkAcls:                  sub(s.NetworkAcls, l[listNetworkAcls], next),
		SecurityGroups:               sub(s.SecurityGroups, l[listSecurityGroups], next),
		NetworkInterfaces:            sub(s.NetworkInterfaces, l[listNetworkInterfaces], next),
		LoadBalancers:                sub(s.LoadBalancers, l[listLoadBalancers], next),
		TargetGroups:                 sub(s.TargetGroups, l[listTargetGroups], next),
		VpcEndpointServices:          sub(s.VpcEndpointServices, l[listEndpointServices], next),
		TrafficMirrorFilters:         sub(s.TrafficMirrorFilters, l[listFilters], next),
		TrafficMirrorTargets:         sub(s.TrafficMirrorTargets, l[listTargets], next),
		TrafficMirrorSessions:        sub(s.TrafficMirrorSessions, l[listSessions], next),
		Instances:                    sub(s.Instances, l[listInstances], next),
	}
}

// sub is a list's changed span, of prev's list or of next's.
func sub[T any](list []T, sp span, next bool) []T {
	hi := sp.prevHi
	if next {
		hi = sp.nextHi
	}
	return list[sp.lo:hi:hi]
}

// deltaProfile is the profile a change's part is checked under, and
// false where the part is too large to check alone (more than
// maxDeltaFilters entries either side), the profile is unknown, or the
// list's n entries pass the account's quota for it: Validate answers
// those.
func deltaProfile(next *Spec, sp span, quota func(Quotas) int, n int) (Profile, bool) {
	if sp.nextHi-sp.lo > maxDeltaFilters || sp.prevHi-sp.lo > maxDeltaFilters {
		return Profile{}, false
	}
	prof, err := LookupProfile(next.Profile)
	if err != nil {
		return Profile{}, false
	}
	if q := quota(prof.Quotas); q > 0 && n > q {
		return Profile{}, false
	}
	return prof, true
}

// filtersChangeValid says that next, made from the valid prev by changing
// the filters of sp alone, passes Validate. false means "not shown", not
// "invalid".
func filtersChangeValid(prev, next *Spec, sp span, known func(string) bool) bool {
	prof, ok := deltaProfile(next, sp, func(q Quotas) int { return q.FiltersPerAccount }, len(next.TrafficMirrorFilters))
	if !ok {
		return false
	}
	v := &validator{prof: prof}
	now := map[string]bool{} // the ids of the changed filters, now
	for i := sp.lo; i < sp.nextHi; i++ {
		f := next.TrafficMirrorFilters[i]
		if f == nil || f.TrafficMirrorFilterId == "" || now[f.TrafficMirrorFilterId] {
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
	filterID := func(i int) string { return next.TrafficMirrorFilters[i].TrafficMirrorFilterId }
	return !newIDTaken(len(next.TrafficMirrorFilters), filterID, sp, now, before, known) && !goneFilterNamed(next, now, before)
}

// newIDTaken says whether an id the change gave a resource of a list of
// n (in now, not in before) is also the id (idAt) of one outside the
// span. Those outside the span are prev's, whose ids known (when not
// nil) indexes: a fresh id it does not know is no resource's.
func newIDTaken(n int, idAt func(i int) string, sp span, now, before map[string]bool, known func(string) bool) bool {
	fresh := false
	for id := range now {
		fresh = fresh || (!before[id] && (known == nil || known(id)))
	}
	if !fresh {
		return false
	}
	for i := range n {
		if id := idAt(i); (i < sp.lo || i >= sp.nextHi) && now[id] && !before[id] {
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

// targetsChangeValid says that next, made from the valid prev by changing
// the mirror targets of sp alone, passes Validate. false means "not
// shown", not "invalid". A target changed in place (its id before and
// after) is not shown: the sessions' checks of its kind would rerun.
func targetsChangeValid(prev, next *Spec, sp span, known func(string) bool) bool {
	prof, ok := deltaProfile(next, sp, func(q Quotas) int { return q.TargetsPerAccount }, len(next.TrafficMirrorTargets))
	if !ok {
		return false
	}
	others := *next // what a target refers to; its targets are the change's part
	others.TrafficMirrorTargets = nil
	v := &validator{prof: prof, r: newResolver(&others)}
	now, enis := map[string]bool{}, map[string]bool{} // the changed targets' ids and interfaces, now
	for i := sp.lo; i < sp.nextHi; i++ {
		t := next.TrafficMirrorTargets[i]
		if t == nil || t.TrafficMirrorTargetId == "" || now[t.TrafficMirrorTargetId] {
			return false
		}
		now[t.TrafficMirrorTargetId] = true
		enis[t.NetworkInterfaceId] = t.NetworkInterfaceId != ""
		v.target(i, t)
	}
	if len(v.errs) > 0 {
		return false
	}
	before := map[string]bool{}
	for _, t := range prev.TrafficMirrorTargets[sp.lo:sp.prevHi] {
		if now[t.TrafficMirrorTargetId] {
			return false
		}
		before[t.TrafficMirrorTargetId] = true
	}
	targetID := func(i int) string { return next.TrafficMirrorTargets[i].TrafficMirrorTargetId }
	return !newIDTaken(len(next.TrafficMirrorTargets), targetID, sp, now, before, known) && !sessionsMeet(next, before, enis)
}

// sessionsMeet says whether a session names a target of gone or has a
// source among the interfaces of enis (an interface cannot be both a
// source and a target).
func sessionsMeet(next *Spec, gone, enis map[string]bool) bool {
	for i := range next.TrafficMirrorSessions {
		x := next.TrafficMirrorSessions[i]
		if gone[x.TrafficMirrorTargetId] || slices.ContainsFunc(sessionSources(x), func(src string) bool { return enis[src] }) {
			return true
		}
	}
	return false
}
