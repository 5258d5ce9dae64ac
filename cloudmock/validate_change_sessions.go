package cloudmock

// sessionsChangeValid says that next, made from the valid prev by
// changing the mirror sessions of sp alone, passes Validate. false means
// "not shown", not "invalid". The changed sessions run the model's own
// checks of a session (the same code as Validate's) against a tally of
// the other sessions sharing their sources, targets and numbers; a
// removed session only frees what it held. The others, prev's, stay
// within every limit, so a limit a changed session passes is reported at
// that session, as Validate reports it.
func sessionsChangeValid(prev, next *Spec, sp span, known func(string) bool) bool {
	prof, ok := deltaProfile(next, sp, func(q Quotas) int { return q.SessionsPerAccount }, len(next.TrafficMirrorSessions))
	if !ok {
		return false
	}
	changed := next.TrafficMirrorSessions[sp.lo:sp.nextHi]
	now := map[string]bool{}
	for _, x := range changed {
		if x == nil || x.TrafficMirrorSessionId == "" || now[x.TrafficMirrorSessionId] {
			return false
		}
		now[x.TrafficMirrorSessionId] = true
	}
	before := map[string]bool{}
	for i := range prev.TrafficMirrorSessions[sp.lo:sp.prevHi] {
		before[prev.TrafficMirrorSessions[sp.lo+i].TrafficMirrorSessionId] = true
	}
	sessionID := func(i int) string { return next.TrafficMirrorSessions[i].TrafficMirrorSessionId }
	if newIDTaken(len(next.TrafficMirrorSessions), sessionID, sp, now, before, known) {
		return false
	}
	v := &validator{prof: prof, r: sessionResolver(next, changed)}
	tally := othersTally(next, sp, prof)
	for i, x := range changed {
		v.sessionSources(x, sp.lo+i, tally)
		if v.r.filter(x.TrafficMirrorFilterId) == nil {
			return false
		}
		isLB := v.sessionTarget(x, sp.lo+i, tally)
		v.sessionValues(x, sp.lo+i, isLB, tally)
	}
	return len(v.errs) == 0
}

// sessionResolver is a resolver of what the changed sessions name (their
// source interfaces, targets and filters), each list walked once.
func sessionResolver(next *Spec, changed []*TrafficMirrorSession) *resolver {
	enis, targets := map[string]bool{}, map[string]bool{}
	for _, x := range changed {
		for _, src := range sessionSources(x) {
			enis[src] = true
		}
		targets[x.TrafficMirrorTargetId] = true
	}
	r := &resolver{enis: map[string]*NetworkInterface{}, targets: map[string]*TrafficMirrorTarget{}, spec: next}
	for i := range next.NetworkInterfaces {
		if e := &next.NetworkInterfaces[i]; enis[e.NetworkInterfaceId] {
			putFirst(r.enis, e.NetworkInterfaceId, e)
		}
	}
	for _, t := range next.TrafficMirrorTargets {
		if targets[t.TrafficMirrorTargetId] {
			putFirst(r.targets, t.TrafficMirrorTargetId, t)
		}
	}
	return r
}

// othersTally is the tally of the sessions outside sp (unchanged, so as
// in the valid prev) that share a source, a target or (under
// UniqueSessionNumbers) a number with a changed session, and the target
// interfaces among the changed sessions' sources.
func othersTally(next *Spec, sp span, prof Profile) *sessionTally {
	t := &sessionTally{perSource: map[string][]int{}, perTarget: map[string]int{}, byNumber: map[int]string{}, targetENIs: map[string]string{}}
	changed := next.TrafficMirrorSessions[sp.lo:sp.nextHi]
	srcs, numbers := map[string]bool{}, map[int]bool{}
	for _, x := range changed {
		for _, src := range sessionSources(x) {
			srcs[src] = true
		}
		numbers[x.SessionNumber] = true
		t.perTarget[x.TrafficMirrorTargetId] = 0
	}
	for _, tg := range next.TrafficMirrorTargets {
		if tg.NetworkInterfaceId != "" && srcs[tg.NetworkInterfaceId] {
			if _, ok := t.targetENIs[tg.NetworkInterfaceId]; !ok {
				t.targetENIs[tg.NetworkInterfaceId] = tg.TrafficMirrorTargetId
			}
		}
	}
	for i := range next.TrafficMirrorSessions {
		if i >= sp.lo && i < sp.nextHi {
			continue
		}
		x := next.TrafficMirrorSessions[i]
		for _, src := range sessionSources(x) {
			if srcs[src] {
				t.perSource[src] = append(t.perSource[src], x.SessionNumber)
			}
		}
		if n, ok := t.perTarget[x.TrafficMirrorTargetId]; ok {
			t.perTarget[x.TrafficMirrorTargetId] = n + 1
		}
		if _, dup := t.byNumber[x.SessionNumber]; prof.UniqueSessionNumbers && numbers[x.SessionNumber] && !dup {
			t.byNumber[x.SessionNumber] = x.TrafficMirrorSessionId
		}
	}
	return t
}
