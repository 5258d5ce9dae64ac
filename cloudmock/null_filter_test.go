package cloudmock

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestNullFilterRefused: the filters, targets and sessions are lists of pointers (a change
// shares the filters it does not write), so a decoded Spec may hold a
// null entry; the model refuses it with the place named, and neither a
// copy nor the id walk trips on it.
func TestNullFilterRefused(t *testing.T) {
	var s Spec
	if err := json.Unmarshal([]byte(`{"TrafficMirrorFilters":[{"TrafficMirrorFilterId":"tmf-1"},null]}`), &s); err != nil {
		t.Fatal(err)
	}
	c := s.Clone()
	if len(c.TrafficMirrorFilters) != 2 || c.TrafficMirrorFilters[1] != nil || c.TrafficMirrorFilters[0] == s.TrafficMirrorFilters[0] {
		t.Fatalf("clone of a list with a null entry: %+v", c.TrafficMirrorFilters)
	}
	c.EachID(func(IDRef) {})
	_, err := New(s)
	if err == nil || !strings.Contains(err.Error(), "TrafficMirrorFilters[1]") || !strings.Contains(err.Error(), "null") {
		t.Fatalf("New = %v, want the null entry TrafficMirrorFilters[1] refused", err)
	}
	var ts Spec
	if err := json.Unmarshal([]byte(`{"TrafficMirrorTargets":[null]}`), &ts); err != nil {
		t.Fatal(err)
	}
	if err := ts.Validate(); err == nil || !strings.Contains(err.Error(), "TrafficMirrorTargets[0]") {
		t.Fatalf("Validate = %v, want the null target TrafficMirrorTargets[0] refused", err)
	}
	var ss Spec
	if err := json.Unmarshal([]byte(`{"TrafficMirrorSessions":[{"TrafficMirrorSessionId":"tms-1"},null]}`), &ss); err != nil {
		t.Fatal(err)
	}
	if c := ss.Clone(); len(c.TrafficMirrorSessions) != 2 || c.TrafficMirrorSessions[1] != nil {
		t.Fatalf("clone of a session list with a null entry: %+v", c.TrafficMirrorSessions)
	}
	ss.EachID(func(IDRef) {})
	if err := ss.Validate(); err == nil || !strings.Contains(err.Error(), "TrafficMirrorSessions[1]") {
		t.Fatalf("Validate = %v, want the null session TrafficMirrorSessions[1] refused", err)
	}
	w := walkthroughSpec()
	wn := w.Clone()
	wn.TrafficMirrorSessions = append(wn.TrafficMirrorSessions, nil) // a change of the sessions alone
	if err := Diff(&w, &wn).Validate(); err == nil || !strings.Contains(err.Error(), "TrafficMirrorSessions[1]") {
		t.Fatalf("Change.Validate = %v, want the null session TrafficMirrorSessions[1] refused", err)
	}
	next := s.Clone()
	next.TrafficMirrorFilters[0] = nil
	if err := Diff(&c, &next).Validate(); err == nil || !strings.Contains(err.Error(), "TrafficMirrorFilters[0]") {
		t.Fatalf("Change.Validate = %v, want the null entry refused", err)
	}
}

// TestFilterCloneIsOwn: a filter's Clone shares nothing a write reaches.
func TestFilterCloneIsOwn(t *testing.T) {
	s := walkthroughSpec()
	f := s.TrafficMirrorFilters[0]
	c := f.Clone()
	c.IngressFilterRules[0].RuleAction = "reject"
	c.Description = "changed"
	if f.IngressFilterRules[0].RuleAction == "reject" || f.Description == "changed" {
		t.Fatal("a write into a filter's clone reached the filter")
	}
}

// TestSessionCloneIsOwn: a session's Clone shares nothing a write reaches.
func TestSessionCloneIsOwn(t *testing.T) {
	x := &TrafficMirrorSession{TrafficMirrorSessionId: "tms-1", TrafficMirrorSourceIds: []string{"eni-a"},
		VirtualNetworkId: new(7), PacketLength: new(100)}
	c := x.Clone()
	c.TrafficMirrorSourceIds[0], *c.VirtualNetworkId, *c.PacketLength, c.Description = "eni-b", 8, 200, "d"
	if x.TrafficMirrorSourceIds[0] != "eni-a" || *x.VirtualNetworkId != 7 || *x.PacketLength != 100 || x.Description != "" {
		t.Fatalf("a write to the clone reached the session: %+v", x)
	}
}
