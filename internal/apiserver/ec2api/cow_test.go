package ec2api

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// changeCall is a POST call of action with no parameters, to run a change
// written by the test.
func changeCall(t *testing.T, s *Server, action string) *call {
	t.Helper()
	p, err := decodeParams("", "")
	if err != nil {
		t.Fatal(err)
	}
	return &call{s: s, action: action, p: p, post: true}
}

// verifiedServer is a server over benchSpec(n) whose changes verify
// themselves, without the test failing on a fault (the test asks).
func verifiedServer(t *testing.T, n int) *Server {
	t.Helper()
	s, err := New(Config{Spec: benchSpec(n), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	s.verify = true
	return s
}

// The check the package's tests run on every change catches an action
// that writes into a list it shares with the published Spec (here a
// filter written without filterW, and a session list not declared), and
// an append into the published array's room that a published Spec sees.
func TestVerifyCatchesWritesIntoPublished(t *testing.T) {
	for name, change := range map[string]func(st *state){
		"filter written in place": func(st *state) { st.spec.TrafficMirrorFilters[1].Description = "changed" },
		"rule written in place":   func(st *state) { st.spec.TrafficMirrorFilters[2].IngressFilterRules[0].RuleAction = "reject" },
		"filter element copied but its rule shared": func(st *state) {
			st.ownFilters()
			st.spec.TrafficMirrorFilters[0].IngressFilterRules[0].RuleNumber = 7
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := verifiedServer(t, 4)
			_, _ = changeCall(t, s, "Rogue").mutateIn(0, "", func(st *state) (any, error) { change(st); return struct{}{}, nil })
			if err := s.verifyFault(); err == nil || !strings.Contains(err.Error(), "TrafficMirrorFilters") {
				t.Fatalf("verify found %v, want a write into the published filters", err)
			}
		})
	}
	t.Run("append over what a published Spec sees", func(t *testing.T) {
		s := verifiedServer(t, 4)
		add := func(st *state) (any, error) {
			st.appendFilter(&cloudmock.TrafficMirrorFilter{TrafficMirrorFilterId: st.newID("tmf")})
			return struct{}{}, nil
		}
		if _, err := changeCall(t, s, "Add").mutateIn(0, "", add); err != nil {
			t.Fatal(err)
		}
		// cut the end, then append with the frontier forgotten: the new
		// filter lands where the previous Spec still sees the old one
		n := len(s.cur.Load().spec.TrafficMirrorFilters)
		if _, err := changeCall(t, s, "Cut").mutateIn(0, "", func(st *state) (any, error) { st.removeFilter(n - 1); return struct{}{}, nil }); err != nil {
			t.Fatal(err)
		}
		s.front = frontier{}
		s.front.publish(s.cur.Load().spec.TrafficMirrorFilters)
		_, _ = changeCall(t, s, "Add").mutateIn(0, "", add)
		if err := s.verifyFault(); err == nil || !strings.Contains(err.Error(), "(1 published since)") {
			t.Fatalf("verify found %v, want a write into the Spec before the cut", err)
		}
	})
}

// Creating and deleting the last filter in turn appends in the published
// array's room only where no published Spec sees (the frontier), and
// every Spec published on the way stays as it was; the filters' window,
// the delta's validation and the id index agree with the whole account.
func TestFilterChangesShareAndKeepPublished(t *testing.T) {
	s := verifiedServer(t, 3)
	var created []string
	for i := range 12 {
		form := "Action=CreateTrafficMirrorFilter&Version=2016-11-15&Description=d" + fmt.Sprint(i)
		if i%3 == 2 {
			form = "Action=DeleteTrafficMirrorFilter&Version=2016-11-15&TrafficMirrorFilterId=" + created[len(created)-1]
			created = created[:len(created)-1]
		}
		rec := serveForm(s, form)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", form, rec.Code, rec.Body.String())
		}
		if m := filterIDInAnswer.FindStringSubmatch(rec.Body.String()); m != nil && i%3 != 2 {
			created = append(created, m[1])
		}
		rule := fmt.Sprintf("tmfr-%017x", i%3+1)
		if rec := serveForm(s, "Action=ModifyTrafficMirrorFilterRule&Version=2016-11-15&TrafficMirrorFilterRuleId="+rule+"&RuleNumber="+fmt.Sprint(10+i)); rec.Code != 200 {
			t.Fatalf("modify: %d %s", rec.Code, rec.Body.String())
		}
	}
	if err := s.verifyFault(); err != nil {
		t.Fatal(err)
	}
	spec := s.Spec()
	if got, want := len(spec.TrafficMirrorFilters), 3+len(created); got != want {
		t.Fatalf("%d filters, want %d", got, want)
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if want := newIDIndex(&spec); fmt.Sprint(s.idIndex()) != fmt.Sprint(want) {
		t.Fatalf("the id index drifted from the account's ids")
	}
}

// Targets created and deleted in turn (the last one and one before it)
// share the published list's targets and leave every Spec published on
// the way as it was, a refused delete (a target in use) too.
func TestTargetChangesKeepPublished(t *testing.T) {
	s := verifiedServer(t, 3)
	var created []string
	for i := range 12 {
		form := "Action=CreateTrafficMirrorTarget&Version=2016-11-15&NetworkInterfaceId=" + eniAdapter
		if i%3 == 2 {
			k := len(created) - 1 - i%2 // the last, or the one before it
			form = "Action=DeleteTrafficMirrorTarget&Version=2016-11-15&TrafficMirrorTargetId=" + created[k]
			created = append(created[:k], created[k+1:]...)
		}
		rec := serveForm(s, form)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", form, rec.Code, rec.Body.String())
		}
		if m := targetIDInAnswer.FindStringSubmatch(rec.Body.String()); m != nil && i%3 != 2 {
			created = append(created, m[1])
		}
	}
	if err := s.verifyFault(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range s.Spec().TrafficMirrorTargets {
		got = append(got, x.TrafficMirrorTargetId)
	}
	if !slices.Equal(got[len(got)-len(created):], created) {
		t.Fatalf("targets %v, want the fixture's and %v", got, created)
	}
}

// A change that the model refuses (a rule number taken) leaves the
// published state as it was and answers the whole validation's error.
func TestSharedFilterChangeRefused(t *testing.T) {
	s := verifiedServer(t, 3)
	rec := serveForm(s, "Action=CreateTrafficMirrorFilterRule&Version=2016-11-15&TrafficMirrorFilterId=tmf-00000000000000001&TrafficDirection=ingress&RuleNumber=100&RuleAction=accept&SourceCidrBlock=0.0.0.0/0&DestinationCidrBlock=0.0.0.0/0")
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "TrafficMirrorFilterRuleAlreadyExists") && !strings.Contains(rec.Body.String(), "100") {
		t.Fatalf("a repeated rule number: %d %s", rec.Code, rec.Body.String())
	}
	if err := s.verifyFault(); err != nil {
		t.Fatal(err)
	}
}

// A clone of the tag store shares its parts: its writes (set, put,
// unset, remove) copy the part they change, and the original, with a
// thousand resources tagged, stays as it was.
func TestTagStoreCloneCopiesWhatItWrites(t *testing.T) {
	orig := newTagStore()
	for i := range 1000 {
		orig.put(fmt.Sprintf("tmf-%017x", i), map[string]string{"Name": fmt.Sprint(i)})
	}
	want := orig.plain()
	c := orig.clone()
	if err := c.set("tmf-00000000000000001", []tag{{Key: "k", Value: "v"}}, "Tag"); err != nil {
		t.Fatal(err)
	}
	c.remove("tmf-00000000000000002")
	c.unset("tmf-00000000000000003", []string{"Name"})
	c.put("vpc-1", map[string]string{"a": "b"})
	if got := orig.plain(); !reflect.DeepEqual(got, want) {
		t.Fatal("writing the clone changed the original")
	}
	copied := 0
	for k := range tagShards {
		if c.parts[k] != nil && orig.parts[k] != nil && fmt.Sprintf("%p", c.parts[k]) != fmt.Sprintf("%p", orig.parts[k]) {
			copied++
		}
	}
	if copied == 0 || copied > 4 {
		t.Fatalf("%d parts copied for 4 writes", copied)
	}
	if c.get("tmf-00000000000000001")["k"] != "v" || c.get("tmf-00000000000000002") != nil || c.get("tmf-00000000000000003") != nil || len(c.plain()) != 999 {
		t.Fatalf("the clone's tags are wrong: %v %v", c.get("tmf-00000000000000001"), len(c.plain()))
	}
}

// The places of filters and rules follow removals in the middle, dry
// runs and refused changes (whose Specs are never published): each
// lookup answers what a walk of the list would (verify compares them).
func TestFilterPlacesFollowTheList(t *testing.T) {
	s := verifiedServer(t, 6)
	ruleForm := func(n int) string {
		return fmt.Sprintf("Action=ModifyTrafficMirrorFilterRule&Version=2016-11-15&TrafficMirrorFilterRuleId=tmfr-%017x&RuleNumber=7", n)
	}
	steps := []struct {
		form string
		code int
	}{
		{ruleForm(5), 200},
		{"Action=DeleteTrafficMirrorFilter&Version=2016-11-15&DryRun=true&TrafficMirrorFilterId=tmf-00000000000000002", 412},
		{ruleForm(6), 200},
		{"Action=DeleteTrafficMirrorFilter&Version=2016-11-15&TrafficMirrorFilterId=tmf-00000000000000002", 200},
		{ruleForm(5), 200},
		{ruleForm(2), 400},
		{"Action=CreateTrafficMirrorFilterRule&Version=2016-11-15&TrafficMirrorFilterId=tmf-00000000000000006&TrafficDirection=egress&RuleNumber=5&RuleAction=accept&SourceCidrBlock=0.0.0.0/0&DestinationCidrBlock=10.0.0.0/33", 400},
		{"Action=DeleteTrafficMirrorFilter&Version=2016-11-15&TrafficMirrorFilterId=tmf-00000000000000001", 200},
		{ruleForm(6), 200},
		{ruleForm(3), 200},
	}
	for _, st := range steps {
		if rec := serveForm(s, st.form); rec.Code != st.code {
			t.Fatalf("%s: %d %s, want %d", st.form, rec.Code, rec.Body.String(), st.code)
		}
	}
	if err := s.verifyFault(); err != nil {
		t.Fatal(err)
	}
}

// Queries read the published state while changes append in the room
// past its filters, cut their end and copy the filter they write: under
// the race detector (go test -race) a write into memory a reader sees
// fails here, and every answer is whole.
func TestReadersBesideSharedChanges(t *testing.T) {
	s := verifiedServer(t, 50)
	done := make(chan struct{})
	read := make(chan error, 2)
	for _, form := range []string{"Action=DescribeTrafficMirrorFilters&Version=2016-11-15", "Action=DescribeTrafficMirrorFilterRules&Version=2016-11-15"} {
		go func() {
			for {
				select {
				case <-done:
					read <- nil
					return
				default:
				}
				if rec := serveForm(s, form); rec.Code != 200 {
					read <- fmt.Errorf("%s: %d %s", form, rec.Code, rec.Body.String())
					return
				}
			}
		}()
	}
	created := ""
	for i := range 200 {
		form := "Action=CreateTrafficMirrorFilter&Version=2016-11-15"
		switch {
		case i%9 == 8: // a new array for the filters now and then
			form = fmt.Sprintf("Action=ModifyTrafficMirrorFilterRule&Version=2016-11-15&TrafficMirrorFilterRuleId=tmfr-%017x&RuleNumber=%d", i%50+1, i+1)
		case created != "":
			form, created = "Action=DeleteTrafficMirrorFilter&Version=2016-11-15&TrafficMirrorFilterId="+created, ""
		}
		rec := serveForm(s, form)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", form, rec.Code, rec.Body.String())
		}
		if m := filterIDInAnswer.FindStringSubmatch(rec.Body.String()); m != nil && strings.HasPrefix(form, "Action=Create") {
			created = m[1]
		}
	}
	close(done)
	for range 2 {
		if err := <-read; err != nil {
			t.Fatal(err)
		}
	}
	if err := s.verifyFault(); err != nil {
		t.Fatal(err)
	}
}

// Sessions created, modified and deleted in turn (the last one and one
// before it), on an account of ten, leave every Spec published on the way
// as it was, and the sessions the account ends with are those expected.
func TestSessionChangesKeepPublished(t *testing.T) {
	spec := sessionsSpec(10)
	s, err := New(Config{Spec: spec, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	s.verify = true
	created, numbers := []string{}, []int{} // on eniTest, three at most
	// two creates, a modify, a delete, twice: eniTest's three are not passed
	for i := range 8 {
		free := 1
		for slices.Contains(numbers, free) {
			free++
		}
		form := "Action=CreateTrafficMirrorSession&Version=2016-11-15&NetworkInterfaceId=" + eniTest +
			"&TrafficMirrorTargetId=tmt-0000000000000000b&TrafficMirrorFilterId=tmf-00000000000000001&SessionNumber=" + fmt.Sprint(free)
		switch {
		case i%4 == 2:
			form = "Action=ModifyTrafficMirrorSession&Version=2016-11-15&Description=d&TrafficMirrorSessionId=" + created[0]
		case i%4 == 3:
			k := len(created) - 1 - i%8/4 // the last, or the one before it
			form = "Action=DeleteTrafficMirrorSession&Version=2016-11-15&TrafficMirrorSessionId=" + created[k]
			created, numbers = slices.Delete(created, k, k+1), slices.Delete(numbers, k, k+1)
		}
		rec := serveForm(s, form)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", form, rec.Code, rec.Body.String())
		}
		if m := sessionIDInAnswer.FindStringSubmatch(rec.Body.String()); m != nil && i%4 < 2 {
			created, numbers = append(created, m[1]), append(numbers, free)
		}
	}
	if err := s.verifyFault(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range s.Spec().TrafficMirrorSessions {
		got = append(got, x.TrafficMirrorSessionId)
	}
	if len(got) != 10+len(created) || !slices.Equal(got[10:], created) {
		t.Fatalf("sessions %v, want the ten and %v", got, created)
	}
}

// A modify writes a copy of its session into a copy of the list of
// pointers: the published session keeps its fields, the other sessions
// are the published Spec's own (shared, not copied).
func TestSessionModifyShares(t *testing.T) {
	s, err := New(Config{Spec: sessionsSpec(10), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	before := s.cur.Load().spec.TrafficMirrorSessions
	const k = 3
	form := "Action=ModifyTrafficMirrorSession&Version=2016-11-15&Description=changed&TrafficMirrorSessionId=" + before[k].TrafficMirrorSessionId
	if rec := serveForm(s, form); rec.Code != 200 {
		t.Fatalf("%s: %d %s", form, rec.Code, rec.Body.String())
	}
	after := s.cur.Load().spec.TrafficMirrorSessions
	if len(after) != len(before) || after[k] == before[k] || after[k].Description != "changed" || before[k].Description != "" {
		t.Fatalf("session %d: published %+v, now %+v", k, before[k], after[k])
	}
	for i := range before {
		if i != k && after[i] != before[i] {
			t.Errorf("session %d copied, want the published one shared", i)
		}
	}
}
