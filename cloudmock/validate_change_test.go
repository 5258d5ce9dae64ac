package cloudmock

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/encap"
)

// changeStep makes one random change to s, mostly to its mirror filters
// (the lists ValidateChange checks alone), sometimes valid, sometimes not:
// ids reused or empty, rule numbers repeated or out of range, a filter a
// session uses removed, too many rules, rules the other profile refuses,
// another list (a session's filter, an interface's address, a target's
// interface) or the profile changed.
func changeStep(r *rand.Rand, s *Spec) {
	ids := []string{"tmf-web", "tmf-a", "tmf-b", "tmf-c", "tmf-d", ""}
	fs := &s.TrafficMirrorFilters
	pick := func() *TrafficMirrorFilter {
		if len(*fs) == 0 {
			*fs = append(*fs, &TrafficMirrorFilter{TrafficMirrorFilterId: ids[r.IntN(len(ids))]})
		}
		return (*fs)[r.IntN(len(*fs))]
	}
	switch r.IntN(22) {
	case 0, 1:
		*fs = append(*fs, &TrafficMirrorFilter{TrafficMirrorFilterId: fmt.Sprintf("tmf-%d", r.IntN(40)), IngressFilterRules: []TrafficMirrorFilterRule{randomRule(r)}})
	case 2:
		if len(*fs) > 0 {
			i := r.IntN(len(*fs))
			*fs = append((*fs)[:i], (*fs)[i+1:]...)
		}
	case 3:
		pick().TrafficMirrorFilterId = ids[r.IntN(len(ids))]
	case 4, 5, 6:
		f := pick()
		f.EgressFilterRules = append(f.EgressFilterRules, randomRule(r))
	case 7:
		if f := pick(); len(f.EgressFilterRules) > 0 {
			f.EgressFilterRules[r.IntN(len(f.EgressFilterRules))] = randomRule(r)
		}
	case 8:
		pick().NetworkServices = [][]string{nil, {NetworkServiceAmazonDNS}, {"amazon-ntp"}}[r.IntN(3)]
	case 9:
		pick().Description = fmt.Sprint(r.IntN(3))
	case 10:
		if len(s.TrafficMirrorSessions) > 0 {
			s.TrafficMirrorSessions[0].TrafficMirrorFilterId = ids[r.IntN(len(ids))]
		}
	case 11:
		s.Profile = []string{"", "aws", "alibaba"}[r.IntN(3)]
	case 12:
		s.NetworkInterfaces[2].PrivateIpAddress = []string{"10.0.0.36", "10.0.0.37", "10.0.0.5", "10.0.0.99"}[r.IntN(4)]
	case 13:
		if len(s.TrafficMirrorTargets) > 0 {
			s.TrafficMirrorTargets[0].NetworkInterfaceId = []string{"eni-adapter", "eni-test", "eni-web", "eni-none"}[r.IntN(4)]
		}
	case 14, 15:
		s.TrafficMirrorTargets = append(s.TrafficMirrorTargets, randomTarget(r))
	case 16:
		if ts := s.TrafficMirrorTargets; len(ts) > 0 {
			i := r.IntN(len(ts))
			s.TrafficMirrorTargets = append(ts[:i:i], ts[i+1:]...)
		}
	default:
		sessionStep(r, s)
	}
}

// sessionStep adds, removes or changes a mirror session of s.
func sessionStep(r *rand.Rand, s *Spec) {
	xs := &s.TrafficMirrorSessions
	switch r.IntN(8) { // adds are mostly refused: enough of them to grow
	case 0, 1, 2, 3, 4:
		*xs = append(*xs, randomSession(r))
	case 5:
		if len(*xs) > 0 {
			i := r.IntN(len(*xs))
			*xs = append((*xs)[:i:i], (*xs)[i+1:]...)
		}
	default:
		if len(*xs) > 0 {
			x, y := (*xs)[r.IntN(len(*xs))], randomSession(r) // s is a deep clone: its sessions are its own
			switch r.IntN(4) {
			case 0:
				x.SessionNumber = y.SessionNumber
			case 1:
				x.TrafficMirrorTargetId = y.TrafficMirrorTargetId
			case 2:
				x.PacketLength, x.VirtualNetworkId = y.PacketLength, y.VirtualNetworkId
			case 3:
				x.NetworkInterfaceId, x.TrafficMirrorSourceIds = y.NetworkInterfaceId, y.TrafficMirrorSourceIds
			}
		}
	}
}

// randomSession is a mirror session, mostly valid alone but sharing a
// source, target or number with others: each field is a good value three
// times in four, else an id taken or empty, a source that is a target's
// interface or none, a target or filter that is none, a value out of
// range.
func randomSession(r *rand.Rand) *TrafficMirrorSession {
	pick := func(good []string, bad ...string) string {
		if r.IntN(4) > 0 {
			return good[r.IntN(len(good))]
		}
		return bad[r.IntN(len(bad))]
	}
	x := &TrafficMirrorSession{TrafficMirrorSessionId: pick([]string{fmt.Sprintf("tms-%d", r.IntN(40))}, "tms-web", ""),
		NetworkInterfaceId:    pick([]string{"eni-web", "eni-test", "eni-s1", "eni-s2", "eni-s3", "eni-s4"}, "eni-adapter", "eni-none", ""),
		TrafficMirrorTargetId: pick([]string{"tmt-adapter"}, "tmt-2", "tmt-none"),
		TrafficMirrorFilterId: pick([]string{"tmf-web"}, "tmf-none"),
		SessionNumber:         []int{1, 2, 3, 4, 1, 2, 0, 40000}[r.IntN(8)]}
	switch r.IntN(6) {
	case 0:
		x.VirtualNetworkId = new([]int{5, -1, 1 << 24}[r.IntN(3)])
	case 1:
		x.PacketLength = new([]int{100, 0, 9000}[r.IntN(3)])
	case 2:
		x.TrafficMirrorSourceIds = []string{pick([]string{"eni-web", "eni-test"}, "eni-none")}
	}
	return x
}

// randomTarget is a mirror target, valid about half the time: its id
// may be taken or empty, its interface a session's source or none.
func randomTarget(r *rand.Rand) *TrafficMirrorTarget {
	return &TrafficMirrorTarget{TrafficMirrorTargetId: []string{"tmt-adapter", "", "tmt-2", "tmt-3", fmt.Sprintf("tmt-%d", r.IntN(40))}[r.IntN(5)],
		NetworkInterfaceId:     []string{"eni-adapter", "eni-test", "eni-web", "eni-none", ""}[r.IntN(5)],
		NetworkLoadBalancerArn: []string{"", "", "", "arn:none"}[r.IntN(4)]}
}

// randomRule is a filter rule, valid about half the time.
func randomRule(r *rand.Rand) TrafficMirrorFilterRule {
	rule := TrafficMirrorFilterRule{RuleNumber: 1 + r.IntN(6), RuleAction: "accept", SourceCidrBlock: "0.0.0.0/0", DestinationCidrBlock: "10.0.0.0/8"}
	switch r.IntN(8) {
	case 0:
		rule.RuleNumber = 40000
	case 1:
		rule.RuleAction = "drop"
	case 2:
		rule.DestinationCidrBlock = "::/0"
	case 3:
		rule.DestinationPortRange = &TrafficMirrorPortRange{FromPort: 90, ToPort: 80}
	case 4:
		rule.Protocol, rule.SourcePortRange = encap.ProtoUDP, &TrafficMirrorPortRange{FromPort: 53, ToPort: 53}
	case 5:
		rule.SourceCidrBlock, rule.DestinationCidrBlock = "::/0", "2001:db8::/32" // not under alibaba
	}
	return rule
}

// ValidateChange answers exactly what Validate answers on random change
// sequences (a valid result becomes the next state, as the API server
// commits it), and clears a good share of the valid changes without
// Validate (or this test would compare Validate with itself).
func TestValidateChangeIsValidate(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 25))
	prev := walkthroughSpec()
	if err := prev.Validate(); err != nil {
		t.Fatal(err)
	}
	cleared, valid := 0, 0
	for step := range 4000 {
		next := prev.Clone()
		for range 1 + r.IntN(2) {
			changeStep(r, &next)
		}
		full := Diff(&prev, &next)
		fast, got := full.validate()
		want := next.Validate()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("step %d: ValidateChange = %v\nValidate = %v\nprev %+v\nnext %+v", step, got, want, prev.TrafficMirrorFilters, next.TrafficMirrorFilters)
		}
		// the same through a window of filters (the span, widened at
		// random, as an API change that knows what it touched gives it)
		// and with an index of prev's ids
		sp, known := full.d.lists[listFilters], ownIDs(&prev)
		lo := r.IntN(sp.lo + 1)
		tail := r.IntN(min(len(prev.TrafficMirrorFilters)-sp.prevHi, len(next.TrafficMirrorFilters)-sp.nextHi) + 1)
		w := Window{Lo: lo, PrevHi: len(prev.TrafficMirrorFilters) - tail, NextHi: len(next.TrafficMirrorFilters) - tail}
		within := DiffWithin(&prev, &next, w).WithIDs(func(id string) bool { return known[id] > 0 })
		if got := within.Validate(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("step %d: within %+v, ValidateChange = %v\nValidate = %v", step, w, got, want)
		}
		if want == nil {
			prev, valid = next, valid+1
		}
		if fast {
			cleared++
		}
	}
	if cleared < valid/2 {
		t.Fatalf("%d of %d valid changes cleared without Validate", cleared, valid)
	}
	t.Logf("%d valid changes of 4000, %d cleared without Validate", valid, cleared)
}

// A filter beyond the account's quota answers Validate's error, at the
// filter beyond it.
func TestValidateChangeFilterQuota(t *testing.T) {
	prev := walkthroughSpec()
	manyFilters(10_000)(&prev)
	next := prev.Clone()
	next.TrafficMirrorFilters = append(next.TrafficMirrorFilters, &TrafficMirrorFilter{TrafficMirrorFilterId: "tmf-new"})
	got, want := Diff(&prev, &next).Validate(), next.Validate()
	if want == nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("ValidateChange = %v, Validate = %v", got, want)
	}
}

// ownIDs counts the own ids of a Spec, as EachID gives them.
func ownIDs(s *Spec) map[string]int {
	m := map[string]int{}
	s.EachID(func(r IDRef) {
		if r.Own && *r.ID != "" {
			m[*r.ID]++
		}
	})
	return m
}

// idStep adds, removes or renames a resource of one of several lists
// (interfaces share instance ids; filter rules have ids of their own).
func idStep(r *rand.Rand, s *Spec) {
	id := fmt.Sprintf("x-%d", r.IntN(30))
	switch r.IntN(8) {
	case 0:
		s.NetworkInterfaces = append(s.NetworkInterfaces, NetworkInterface{NetworkInterfaceId: id, InstanceId: fmt.Sprintf("i-%d", r.IntN(3))})
	case 1:
		if n := len(s.NetworkInterfaces); n > 0 {
			i := r.IntN(n)
			s.NetworkInterfaces = append(s.NetworkInterfaces[:i], s.NetworkInterfaces[i+1:]...)
		}
	case 2:
		if n := len(s.NetworkInterfaces); n > 0 {
			s.NetworkInterfaces[r.IntN(n)].InstanceId = fmt.Sprintf("i-%d", r.IntN(3))
		}
	case 3:
		s.Subnets = append(s.Subnets, Subnet{SubnetId: id})
	case 4:
		if n := len(s.Subnets); n > 0 {
			s.Subnets[r.IntN(n)].SubnetId = id
		}
	case 5:
		f := s.TrafficMirrorFilters[r.IntN(len(s.TrafficMirrorFilters))]
		f.IngressFilterRules = append(f.IngressFilterRules, TrafficMirrorFilterRule{TrafficMirrorFilterRuleId: id})
	case 6:
		s.Instances = append(s.Instances, Instance{InstanceId: fmt.Sprintf("i-%d", r.IntN(3))})
	case 7:
		if n := len(s.TrafficMirrorSessions); n > 0 {
			s.TrafficMirrorSessions[r.IntN(n)].TrafficMirrorSessionId = id
		}
	}
}

// A count of the own ids kept up to date with EachOwnID, change by
// change, is the count of the last Spec's ids.
func TestEachOwnIDKeepsAnIndex(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 25))
	prev := walkthroughSpec()
	idx := ownIDs(&prev)
	for step := range 2000 {
		next := prev.Clone()
		for range 1 + r.IntN(3) {
			idStep(r, &next)
		}
		Diff(&prev, &next).EachOwnID(func(_ IDKind, id string, added bool) {
			if added {
				idx[id]++
			} else if idx[id]--; idx[id] == 0 {
				delete(idx, id)
			}
		})
		if want := ownIDs(&next); !maps.Equal(idx, want) {
			t.Fatalf("step %d: index %v, want %v", step, idx, want)
		}
		prev = next
	}
}

// Change.Validate answers what Validate answers when any one field of a
// valid Spec is changed (a string, number or flag changed, a pointer set
// to nil, a list shortened), and any two, on the valid Specs of the
// tests (mirroring, load balancers, endpoints, peerings, transit
// gateways, instances): a check it skips or clears must not depend on
// the field.
func TestChangeValidateAnyField(t *testing.T) {
	walk := walkthroughSpec()
	walk.TrafficMirrorFilters = append(walk.TrafficMirrorFilters, &TrafficMirrorFilter{TrafficMirrorFilterId: "tmf-2",
		EgressFilterRules: []TrafficMirrorFilterRule{acceptAll(1), acceptAll(2)}, NetworkServices: []string{NetworkServiceAmazonDNS}})
	r := rand.New(rand.NewPCG(25, 2))
	for name, prev := range map[string]Spec{"walkthrough": walk, "nlb": nlbSpec(true), "gwlb": createdGWLBSpec(),
		"gwlb6": gwlbSpec6(), "inspection": inspectionSpec(), "tgw": tgwSpec(), "instances": instanceSpec()} {
		if err := prev.Validate(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		leaves := anyFieldChange(t, r, &prev)
		if leaves < 50 {
			t.Fatalf("%s: only %d fields changed: the walk checks little", name, leaves)
		}
	}
}

// anyFieldChange checks every change of one field of prev and 300 random
// changes of two; it returns the number of fields.
func anyFieldChange(t *testing.T, r *rand.Rand, prev *Spec) int {
	t.Helper()
	check := func(next *Spec, what string) {
		t.Helper()
		if got, want := Diff(prev, next).Validate(), next.Validate(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: Change.Validate = %v\nValidate = %v", what, got, want)
		}
	}
	leaves := 0
	for ; ; leaves++ {
		next := prev.Clone()
		k := leaves
		path := perturb(reflect.ValueOf(&next).Elem(), &k, "Spec")
		if path == "" {
			break
		}
		check(&next, path)
	}
	for range 300 {
		next := prev.Clone()
		var paths []string
		for range 2 {
			k := r.IntN(leaves)
			paths = append(paths, perturb(reflect.ValueOf(&next).Elem(), &k, "Spec"))
		}
		check(&next, fmt.Sprint(paths))
	}
	return leaves
}

// A target added on an interface no session mirrors is cleared without
// Validate; one on a session's source, or the removal of a target a
// session uses, answers Validate's error.
func TestValidateChangeTargets(t *testing.T) {
	prev := walkthroughSpec()
	for _, c := range []struct {
		name  string
		edit  func(s *Spec)
		clear bool
	}{
		{"added", func(s *Spec) {
			s.TrafficMirrorTargets = append(s.TrafficMirrorTargets, &TrafficMirrorTarget{TrafficMirrorTargetId: "tmt-test", NetworkInterfaceId: "eni-test"})
		}, true},
		{"on a source", func(s *Spec) {
			s.TrafficMirrorTargets = append(s.TrafficMirrorTargets, &TrafficMirrorTarget{TrafficMirrorTargetId: "tmt-web", NetworkInterfaceId: "eni-web"})
		}, false},
		{"id taken", func(s *Spec) {
			s.TrafficMirrorTargets = append(s.TrafficMirrorTargets, &TrafficMirrorTarget{TrafficMirrorTargetId: "tmt-adapter", NetworkInterfaceId: "eni-test"})
		}, false},
		{"in use", func(s *Spec) { s.TrafficMirrorTargets = nil }, false},
	} {
		next := prev.Clone()
		c.edit(&next)
		cleared, got := Diff(&prev, &next).validate()
		want := next.Validate()
		if fmt.Sprint(got) != fmt.Sprint(want) || cleared != c.clear || (want == nil) != c.clear {
			t.Errorf("%s: cleared %v, %v; Validate %v", c.name, cleared, got, want)
		}
	}
}

// ValidateChange answers exactly what Validate answers on random changes
// of the sessions, under either profile (Alibaba: one session per source,
// one per number), and clears most valid ones without Validate.
// TestValidateChangeIsValidate's walk soon removes the filter and target
// sessions need; this one keeps them, and has sources enough (eni-s1 to
// eni-s4 beside eni-web and eni-test) to reach a target's limit.
func TestValidateChangeSessions(t *testing.T) {
	for _, profile := range []string{"aws", "alibaba"} {
		r := rand.New(rand.NewPCG(25, 2))
		prev := walkthroughSpec()
		prev.Profile = profile
		for i := range 4 {
			prev.NetworkInterfaces = append(prev.NetworkInterfaces, NetworkInterface{NetworkInterfaceId: fmt.Sprintf("eni-s%d", i+1),
				SubnetId: "subnet-test", PrivateIpAddress: fmt.Sprintf("10.0.0.%d", 40+i)})
		}
		if err := prev.Validate(); err != nil {
			t.Fatal(err)
		}
		cleared, valid, most := 0, 0, 0
		for step := range 4000 {
			next := prev.Clone()
			for range 1 + r.IntN(2) {
				sessionStep(r, &next)
			}
			fast, got := Diff(&prev, &next).validate()
			if want := next.Validate(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%s step %d: ValidateChange = %v\nValidate = %v\nprev %+v\nnext %+v", profile, step, got, want, prev.TrafficMirrorSessions, next.TrafficMirrorSessions)
			} else if want == nil {
				prev, valid = next, valid+1
				most = max(most, len(prev.TrafficMirrorSessions))
			}
			if fast {
				cleared++
			}
		}
		if cleared < valid*2/3 {
			t.Fatalf("%s: %d of %d valid changes cleared without Validate", profile, cleared, valid)
		}
		t.Logf("%s: %d valid changes of 4000, %d cleared without Validate, at most %d sessions", profile, valid, cleared, most)
	}
}

// A session beyond its target's limit (10 per interface target) is
// refused as Validate refuses it, though the sessions before it are
// unchanged.
func TestValidateChangeSessionsPerTarget(t *testing.T) {
	prev := walkthroughSpec()
	prev.TrafficMirrorSessions = nil
	session := func(i int) *TrafficMirrorSession {
		return &TrafficMirrorSession{TrafficMirrorSessionId: fmt.Sprintf("tms-%d", i), NetworkInterfaceId: fmt.Sprintf("eni-s%d", i/3),
			TrafficMirrorTargetId: "tmt-adapter", TrafficMirrorFilterId: "tmf-web", SessionNumber: 1 + i%3}
	}
	for i := range 4 {
		prev.NetworkInterfaces = append(prev.NetworkInterfaces, NetworkInterface{NetworkInterfaceId: fmt.Sprintf("eni-s%d", i),
			SubnetId: "subnet-test", PrivateIpAddress: fmt.Sprintf("10.0.0.%d", 40+i)})
	}
	for i := range 9 {
		prev.TrafficMirrorSessions = append(prev.TrafficMirrorSessions, session(i))
	}
	for n, ok := range []bool{true, false} { // the 10th, then the 11th
		next := prev.Clone()
		next.TrafficMirrorSessions = append(next.TrafficMirrorSessions, session(9+n))
		cleared, got := Diff(&prev, &next).validate()
		want := next.Validate()
		if fmt.Sprint(got) != fmt.Sprint(want) || (want == nil) != ok || cleared != ok {
			t.Errorf("session %d: cleared %v, %v; Validate %v", 10+n, cleared, got, want)
		}
		prev = next
	}
}
