package runner

import (
	"github.com/mirrorlab/mirrorlab/agent/compare"

	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/scenarios/workload"
)

// Observations is what a run saw; Judge compares it with the expectations.
type Observations struct {
	// Ran is false when nothing was built (validation refused, or the run
	// failed before traffic); only validationError can then hold.
	Ran        bool
	Validation spec.Problems
	Model      cloudmock.Snapshot
	Arrivals   map[string]*Arrival           // by receiving ENI name
	Requests   map[string][]workload.Request // by http-server program
	AgentStats map[string]map[string]float64 // by agent program
	Compare    map[string]*compare.Stats     // by agent program (with -compare)
	Output     map[string]map[string]int64   // program -> text -> matching lines
	Traffic    map[string]TrafficResult      // by traffic name
}

// Judge decides every expectation of s against o, in file order.
func Judge(s *spec.Scenario, o *Observations) ([]Verdict, []Comparison) {
	var out []Verdict
	var cmps []Comparison
	for i, e := range s.Expect {
		path := fmt.Sprintf("expect[%d]", i)
		_, line, _ := s.Position(path)
		v := Verdict{Name: e.Name, Kind: e.Kind(), Line: line}
		j := judge{s: s, o: o, v: &v}
		if v.Name == "" {
			v.Name = j.defaultName(&e)
		}
		if e.ValidationError == nil && !o.Ran {
			// The run's error says why, once; the verdict only says that
			// there was nothing to judge.
			v.NotRun, v.Observed = true, "not run"
			out = append(out, v)
			continue
		}
		if c := j.expectation(&e); c != nil {
			cmps = append(cmps, *c)
		}
		if e.ShouldFail {
			v.Passed = !v.Passed
			v.Want = "to fail: " + v.Want
			if v.Passed {
				v.Detail = strings.TrimSpace("failed, as it should: " + v.Detail)
			} else {
				v.Detail = strings.TrimSpace("held, but it should fail " + v.Detail)
			}
		}
		out = append(out, v)
	}
	return out, cmps
}

type judge struct {
	s *spec.Scenario
	o *Observations
	v *Verdict
}

// count checks an observed number against bounds (none: at least 1).
func (j *judge) count(c spec.Count, got int64) {
	j.v.Observed = fmt.Sprint(got)
	j.v.Want, j.v.Passed = bounds(c, got)
}

func bounds(c spec.Count, got int64) (want string, ok bool) {
	ok = true
	var parts []string
	if c.Equals != nil {
		parts = append(parts, fmt.Sprintf("= %d", *c.Equals))
		ok = ok && got == *c.Equals
	}
	if c.Min != nil {
		parts = append(parts, fmt.Sprintf(">= %d", *c.Min))
		ok = ok && got >= *c.Min
	}
	if c.Max != nil {
		parts = append(parts, fmt.Sprintf("<= %d", *c.Max))
		ok = ok && got <= *c.Max
	}
	if len(parts) == 0 {
		return ">= 1", got >= 1
	}
	return strings.Join(parts, ", "), ok
}

func (j *judge) expectation(e *spec.Expectation) *Comparison {
	switch {
	case e.Mirrored != nil:
		j.count(e.Mirrored.Count, j.mirrored(e.Mirrored, false))
	case e.Truncated != nil:
		j.count(e.Truncated.Count, j.mirrored(e.Truncated, true))
	case e.NotMirrored != nil:
		c := j.o.Model.ENIs[e.NotMirrored.NetworkInterface]
		var n uint64
		for reason, v := range c.NotMirrored {
			if e.NotMirrored.Reason == "" || reason == e.NotMirrored.Reason {
				n += v
			}
		}
		j.count(e.NotMirrored.Count, int64(n))
	case e.Arrived != nil:
		j.arrived(e.Arrived)
	case e.Delivered != nil:
		var n int64
		for _, ss := range j.sessionsOf(e.Delivered.Target) {
			c := j.o.Model.Sessions[ss.Name]
			n += int64(c.Delivery[cloudmock.Delivered.String()]) - int64(c.SkipPackets)
		}
		j.count(e.Delivered.Count, max(n, 0))
	case e.Dropped != nil:
		j.count(e.Dropped.Count, j.dropped(e.Dropped.Target, e.Dropped.By))
	case e.Requests != nil:
		j.count(e.Requests.Count, int64(len(j.o.Requests[e.Requests.Program])))
	case e.SameRequests != nil:
		return j.sameRequests(e.SameRequests)
	case e.SameResponses != nil:
		j.sameResponses(e.SameResponses)
	case e.ResponseLatency != nil:
		j.responseLatency(e.ResponseLatency)
	case e.Metric != nil:
		got, ok := j.metric(e.Metric)
		j.count(e.Metric.Count, got)
		if !ok {
			j.v.Passed = false
			j.v.Observed = "no such metric"
			j.v.Detail = fmt.Sprintf("metric %q was not found", e.Metric.Name)
		}
	case e.Output != nil:
		j.count(e.Output.Count, j.o.Output[e.Output.Program][e.Output.Contains])
	case e.Traffic != nil:
		t := j.o.Traffic[e.Traffic.Name]
		j.v.Passed = true
		var want []string
		for _, b := range []struct {
			label string
			c     *spec.Count
			got   int64
		}{{"succeeded", e.Traffic.Succeeded, t.Succeeded}, {"failed", e.Traffic.Failed, t.Failed}} {
			if b.c == nil {
				continue
			}
			w, ok := bounds(*b.c, b.got)
			want = append(want, b.label+" "+w)
			j.v.Passed = j.v.Passed && ok
		}
		if len(want) == 0 { // nothing said: every request or packet succeeded
			want = []string{"failed = 0"}
			j.v.Passed = t.Failed == 0 && t.Sent > 0
		}
		j.v.Want = strings.Join(want, ", ")
		j.v.Observed = fmt.Sprintf("sent %d, succeeded %d, failed %d", t.Sent, t.Succeeded, t.Failed)
		if !j.v.Passed && len(t.Errors) > 0 {
			j.v.Detail = "errors: " + strings.Join(t.Errors, "; ")
		}
	case e.ValidationError != nil:
		j.validation(e.ValidationError)
	}
	return nil
}

// sessionsOf returns the scenario's sessions that send to target (all
// sessions when target is empty).
func (j *judge) sessionsOf(target string) []spec.Session {
	var out []spec.Session
	for _, ss := range j.s.Mirror.Sessions {
		if target == "" || ss.TrafficMirrorTargetId == target {
			out = append(out, ss)
		}
	}
	return out
}

func (j *judge) mirrored(m *spec.MirrorCount, truncated bool) int64 {
	if m.NetworkInterface != "" && !truncated {
		c := j.o.Model.ENIs[m.NetworkInterface]
		switch m.Direction {
		case "ingress":
			return int64(c.NetworkPacketsMirrorIn)
		case "egress":
			return int64(c.NetworkPacketsMirrorOut)
		}
		return int64(c.NetworkPacketsMirrorIn + c.NetworkPacketsMirrorOut)
	}
	var n int64
	for _, ss := range j.sessionsOf(m.Target) {
		if m.Session != "" && ss.Name != m.Session {
			continue
		}
		if m.NetworkInterface != "" && ss.NetworkInterfaceId != m.NetworkInterface && !slices.Contains(ss.TrafficMirrorSourceIds, m.NetworkInterface) {
			continue
		}
		c := j.o.Model.Sessions[ss.Name]
		if truncated {
			n += int64(c.Truncated)
		} else {
			n += int64(c.Packets)
		}
	}
	return n
}

// dropCodes maps DropCount.By to the model's delivery reason codes.
var dropCodes = map[string][]string{
	"nacl":              {cloudmock.DroppedByTargetNACL.String()},
	"security-group":    {cloudmock.DroppedByTargetSG.String()},
	"no-listener":       {cloudmock.NoListener.String()},
	"no-healthy-target": {cloudmock.NoHealthyTarget.String()},
	"no-route":          {cloudmock.NoRouteToTarget.String()},
}

func (j *judge) dropped(target, by string) int64 {
	var n int64
	for _, ss := range j.sessionsOf(target) {
		c := j.o.Model.Sessions[ss.Name]
		if by == "queue" || by == "" || by == "any" {
			n += int64(c.SkipPackets)
		}
		for cause, codes := range dropCodes {
			if by != "" && by != "any" && by != cause {
				continue
			}
			for _, code := range codes {
				n += int64(c.Delivery[code])
			}
		}
	}
	return n
}

func (j *judge) arrived(a *spec.Arrived) {
	got := j.o.Arrivals[a.NetworkInterface]
	if got == nil {
		got = &Arrival{}
	}
	n, maxInner, minInner := got.Total, got.MaxInner, got.MinInner
	v6 := got.IPv6
	if a.VNI != nil {
		vni := uint32(*a.VNI)
		n, maxInner, minInner = got.ByVNI[vni], got.MaxInnerByVNI[vni], got.MinInnerByVNI[vni]
		v6 = got.IPv6ByVNI[vni]
	}
	switch a.OuterFamily {
	case "ipv6":
		n = v6
	case "ipv4":
		n -= v6
	}
	j.count(a.Count, n)
	if got.Error != "" {
		j.v.Passed = false
		j.v.Detail = "capture failed: " + got.Error
		return
	}
	if got.CaptureDrops > 0 {
		j.v.Passed = false
		j.v.Detail = fmt.Sprintf("the capture at %s dropped %d frames: the count is not reliable", a.NetworkInterface, got.CaptureDrops)
		return
	}
	if a.InnerBytes != nil {
		w, ok := bounds(*a.InnerBytes, int64(maxInner))
		j.v.Want += "; largest inner frame " + w
		j.v.Observed += fmt.Sprintf("; inner frames %d..%d bytes", minInner, maxInner)
		j.v.Passed = j.v.Passed && ok && n > 0
	}
}

func (j *judge) sameRequests(sr *spec.SameRequests) *Comparison {
	want := sr.Completeness
	if want == 0 {
		want = 1
	}
	c := workload.CompareRequests(j.o.Requests[sr.Production], j.o.Requests[sr.Test])
	j.v.Want = fmt.Sprintf("test got >= %.0f%% of production's requests (method, path, body), none extra", want*100)
	j.v.Observed = fmt.Sprintf("production %d, test %d, matched %d (%.1f%%), missing %d, unexpected %d",
		c.Production, c.Test, c.Matched, 100*c.Completeness(), c.MissingN, c.UnexpectedN)
	j.v.Passed = c.Completeness() >= want && c.UnexpectedN == 0 && c.Production > 0
	var ex []string
	for _, r := range c.Missing {
		ex = append(ex, fmt.Sprintf("missing %s %s (%d-byte body)", r.Method, r.Path, len(r.Body)))
	}
	for _, r := range c.Unexpected {
		ex = append(ex, fmt.Sprintf("unexpected %s %s (%d-byte body)", r.Method, r.Path, len(r.Body)))
	}
	if len(ex) > 0 {
		j.v.Detail = strings.Join(ex, "; ")
	}
	if c.Production == 0 {
		j.v.Detail = "production received no request"
	}
	return &Comparison{Production: sr.Production, Test: sr.Test, Comparison: c}
}

func (j *judge) metric(m *spec.Metric) (int64, bool) {
	if m.Program != "" {
		v, ok := j.o.AgentStats[m.Program][m.Name]
		return int64(v), ok
	}
	c := j.o.Model.ENIs[m.NetworkInterface]
	if reason, ok := strings.CutPrefix(m.Name, "NotMirrored."); ok {
		return int64(c.NotMirrored[reason]), true
	}
	b, _ := json.Marshal(c)
	var fields map[string]any
	_ = json.Unmarshal(b, &fields)
	v, ok := fields[m.Name].(float64)
	return int64(v), ok
}

func (j *judge) validation(ve *spec.ValidationMatch) {
	j.v.Want = "refused with " + ve.Code
	if ve.Resource != "" {
		j.v.Want += " on " + ve.Resource
	}
	if ve.Field != "" {
		j.v.Want += "." + ve.Field
	}
	var codes []string
	for _, p := range j.o.Validation {
		codes = append(codes, p.Code)
		if p.Code != ve.Code {
			continue
		}
		if ve.Resource != "" && !strings.HasSuffix(p.Resource, " "+ve.Resource) {
			continue
		}
		if ve.Field != "" && p.Field != ve.Field && !strings.HasSuffix(p.Path, "."+ve.Field) {
			continue
		}
		j.v.Passed = true
		j.v.Observed = p.Error()
		return
	}
	if len(codes) == 0 {
		j.v.Observed = "the configuration was accepted"
	} else {
		j.v.Observed = "refused with " + strings.Join(codes, ", ")
	}
}

func (j *judge) defaultName(e *spec.Expectation) string {
	switch {
	case e.Mirrored != nil:
		return "mirrored " + describeMirror(e.Mirrored)
	case e.Truncated != nil:
		return "truncated " + describeMirror(e.Truncated)
	case e.NotMirrored != nil:
		return fmt.Sprintf("not mirrored at %s (%s)", e.NotMirrored.NetworkInterface, orAll(e.NotMirrored.Reason, "any reason"))
	case e.Arrived != nil:
		s := "arrived at " + e.Arrived.NetworkInterface
		if e.Arrived.VNI != nil {
			s += fmt.Sprintf(" with VNI %d", *e.Arrived.VNI)
		}
		if e.Arrived.OuterFamily != "" {
			s += " over " + map[string]string{"ipv4": "IPv4", "ipv6": "IPv6"}[e.Arrived.OuterFamily]
		}
		return s
	case e.Delivered != nil:
		return "delivered to " + e.Delivered.Target
	case e.Dropped != nil:
		return fmt.Sprintf("dropped before %s (%s)", orAll(e.Dropped.Target, "any target"), orAll(e.Dropped.By, "any cause"))
	case e.Requests != nil:
		return "requests received by " + e.Requests.Program
	case e.SameRequests != nil:
		return fmt.Sprintf("%s received the same requests as %s", e.SameRequests.Test, e.SameRequests.Production)
	case e.SameResponses != nil:
		return fmt.Sprintf("%s answered as %s", e.SameResponses.Test, e.SameResponses.Production)
	case e.ResponseLatency != nil:
		return fmt.Sprintf("%s answers about as fast as production", e.ResponseLatency.Test)
	case e.Metric != nil:
		return "metric " + e.Metric.Name
	case e.Output != nil:
		return fmt.Sprintf("%s printed %q", e.Output.Program, e.Output.Contains)
	case e.Traffic != nil:
		return "traffic " + e.Traffic.Name
	case e.ValidationError != nil:
		return "refused with " + e.ValidationError.Code
	}
	return "expectation"
}

func describeMirror(m *spec.MirrorCount) string {
	switch {
	case m.Session != "":
		return "by session " + m.Session
	case m.Target != "":
		return "to target " + m.Target
	case m.NetworkInterface != "":
		return "at " + m.NetworkInterface + " " + m.Direction
	}
	return "in all"
}

func orAll(s, all string) string {
	if s == "" {
		return all
	}
	return s
}

// refusal is the error of a run that the provider's validation stopped
// (and whose scenario does not expect that): every problem, with its
// file:line, once.
func refusal(ps spec.Problems) error {
	return fmt.Errorf("the provider refuses the configuration (%d problem(s)), so nothing was built:\n%w", len(ps), ps)
}
