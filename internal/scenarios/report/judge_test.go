package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"reflect"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/agent/compare"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/workload"
)

func loadDefault(t *testing.T) *spec.Scenario {
	t.Helper()
	s, err := spec.Load("../../../scenarios/default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// goodObservations is what a correct run of the default scenario sees.
func goodObservations(n int) *Observations {
	reqs := make([]workload.Request, n)
	for i := range reqs {
		reqs[i] = workload.Request{Method: "GET", Path: "/", Body: ""}
	}
	return &Observations{
		Ran: true,
		Model: cloudmock.Snapshot{
			Sessions: map[string]cloudmock.SessionCounters{"web-session": {Packets: 105, Delivery: map[string]uint64{"delivered": 105}}},
			ENIs:     map[string]cloudmock.ENICounters{"web-eni": {NetworkPacketsMirrorIn: 105}},
		},
		Requests:   map[string][]workload.Request{"production": reqs, "test-server": append([]workload.Request(nil), reqs...)},
		Traffic:    map[string]TrafficResult{"web-load": {TrafficCounts: spec.TrafficCounts{Sent: int64(n), Succeeded: int64(n)}}},
		AgentStats: map[string]map[string]float64{"adapter-agent": {"requests.replayed": float64(n)}},
		Compare: map[string]*compare.Stats{"adapter-agent": {Compared: uint64(n), Identical: uint64(n),
			Endpoints: []compare.EndpointStats{{Endpoint: "GET /", Compared: uint64(n), Identical: uint64(n)}}}},
	}
}

func TestJudgeSameResponsesAndLatency(t *testing.T) {
	s := loadDefault(t)
	o := goodObservations(100)
	o.Compare["adapter-agent"] = &compare.Stats{Compared: 100, Identical: 50, Different: 50, ProdP99ms: 2, TestP99ms: 30,
		Endpoints: []compare.EndpointStats{
			{Endpoint: "GET /", Compared: 50, Identical: 50},
			{Endpoint: "POST /api/orders", Compared: 50, Different: 50, Fields: []compare.FieldCount{{Field: "status", Pairs: 50}},
				Example: "status: 200 != 500", ProdP99ms: 2, TestP99ms: 30},
		}}
	s.Expect = append(s.Expect, spec.Expectation{Name: "fast", Check: &spec.ResponseLatency{Test: "test-server"}})
	vs, _, _ := Judge(s, o)
	m := verdictsByName(vs)
	v := m["test server answered as production did"]
	if v.Passed || !strings.Contains(v.Detail, "POST /api/orders: 50 of 50 different (status; e.g. status: 200 != 500)") || strings.Contains(v.Detail, "GET /:") {
		t.Fatalf("sameResponses: %+v", v)
	}
	l := m["fast"]
	if l.Passed || !strings.Contains(l.Observed, "production p99 2.00 ms, test p99 30.00 ms") || !strings.Contains(l.Detail, "POST /api/orders") {
		t.Fatalf("responseLatency: %+v", l)
	}
	delete(o.Compare, "adapter-agent")
	vs, _, _ = Judge(s, o)
	if v := verdictsByName(vs)["fast"]; v.Passed || !strings.Contains(v.Detail, "-compare") {
		t.Fatalf("without a comparison: %+v", v)
	}
}

func verdictsByName(vs []Verdict) map[string]Verdict {
	m := map[string]Verdict{}
	for _, v := range vs {
		m[v.Name] = v
	}
	return m
}

func TestJudgeDefaultScenario(t *testing.T) {
	s := loadDefault(t)
	vs, cmps, _ := Judge(s, goodObservations(100))
	for _, v := range vs {
		if !v.Passed {
			t.Errorf("%s failed: want %s, got %s (%s)", v.Name, v.Want, v.Observed, v.Detail)
		}
		if v.Line == 0 {
			t.Errorf("%s has no line", v.Name)
		}
	}
	if len(cmps) != 1 || cmps[0].Matched != 100 {
		t.Fatalf("comparisons %+v", cmps)
	}

	// the test server missed one request and got one production never saw
	o := goodObservations(100)
	o.Requests["test-server"][0] = workload.Request{Method: "POST", Path: "/x", Body: "b"}
	o.Model.Sessions["web-session"] = cloudmock.SessionCounters{Packets: 99, Delivery: map[string]uint64{"delivered": 90, "dropped-by-target-nacl": 9}}
	vm := verdictsByName(mustJudge(s, o))
	same := vm["test server got the same requests as production"]
	if same.Passed || !strings.Contains(same.Detail, "missing GET /") || !strings.Contains(same.Detail, "unexpected POST /x") {
		t.Errorf("sameRequests verdict %+v", same)
	}
	if v := vm["the session mirrored the inbound HTTP packets"]; v.Passed || v.Observed != "99" {
		t.Errorf("mirrored verdict %+v", v)
	}
	if v := vm["every mirrored packet reached the adapter"]; v.Passed || v.Observed != "9" {
		t.Errorf("dropped verdict %+v", v)
	}
}

func mustJudge(s *spec.Scenario, o *Observations) []Verdict {
	vs, _, _ := Judge(s, o)
	return vs
}

func TestJudgeNothingRan(t *testing.T) {
	s := loadDefault(t)
	for _, v := range mustJudge(s, &Observations{}) {
		if v.Passed {
			t.Errorf("%s passed although nothing ran", v.Name)
		}
	}
}

func TestJudgeValidationError(t *testing.T) {
	s, err := spec.Load("../../../scenarios/library/quota-violation.yaml")
	if err != nil {
		t.Fatal(err)
	}
	vs := mustJudge(s, &Observations{Validation: s.ModelProblems()})
	if len(vs) != 1 || !vs[0].Passed {
		t.Fatalf("verdicts %+v", vs)
	}
	// accepted configuration: the expectation fails
	vs = mustJudge(s, &Observations{})
	if vs[0].Passed || vs[0].Observed != "the configuration was accepted" {
		t.Fatalf("verdicts %+v", vs)
	}
}

func TestJudgeArrivalsAndMetrics(t *testing.T) {
	s, err := spec.Load("../../../scenarios/library/packet-length.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a := NewArrival("", "")
	for i := range 20 {
		frame := vxlanFrame(7, 62+66*(i%2)) // 62 or 128 bytes of inner frame
		a.Record(frame)
	}
	o := &Observations{Ran: true, Arrivals: map[string]*Arrival{"collector-eni": a},
		Model:   cloudmock.Snapshot{Sessions: map[string]cloudmock.SessionCounters{"web-session": {Packets: 20, Truncated: 10}}},
		Traffic: map[string]TrafficResult{"big": {TrafficCounts: spec.TrafficCounts{Sent: 10, Succeeded: 10}}, "small": {TrafficCounts: spec.TrafficCounts{Sent: 10, Succeeded: 10}}}}
	for _, v := range mustJudge(s, o) {
		if !v.Passed {
			t.Errorf("%s failed: want %s, got %s", v.Name, v.Want, v.Observed)
		}
	}
	a.Record(vxlanFrame(7, 129))
	vm := verdictsByName(mustJudge(s, o))
	if v := vm["no copy carries more than 128 bytes of inner frame"]; v.Passed {
		t.Errorf("a 129-byte inner frame passed: %+v", v)
	}
	// a frame that is not VXLAN is not counted
	before := a.Total
	f := vxlanFrame(7, 100)
	f[14+20+2], f[14+20+3] = 0, 53 // UDP destination 53
	a.Record(f)
	if a.Total != before {
		t.Fatal("non-VXLAN datagram counted")
	}
}

// vxlanFrame builds an outer Ethernet/IPv4/UDP 4789/VXLAN frame carrying an
// inner frame of inner bytes.
func vxlanFrame(vni uint32, inner int) []byte {
	b := make([]byte, 14+20+8+8+inner)
	b[12], b[13] = 0x08, 0x00
	ip := b[14:]
	ip[0], ip[9] = 0x45, 17
	udp := ip[20:]
	udp[2], udp[3] = 0x12, 0xb5 // 4789
	l := 8 + 8 + inner
	udp[4], udp[5] = byte(l>>8), byte(l)
	vx := udp[8:]
	vx[0] = 0x08
	vx[4], vx[5], vx[6] = byte(vni>>16), byte(vni>>8), byte(vni)
	return b
}

func TestSummaryAndJUnit(t *testing.T) {
	s, err := spec.Load("../../../scenarios/library/nacl-blocks-vxlan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	o := &Observations{Ran: true,
		Model: cloudmock.Snapshot{Sessions: map[string]cloudmock.SessionCounters{
			"web-session": {Packets: 25, Delivery: map[string]uint64{"dropped-by-target-nacl": 25}}}},
		Requests: map[string][]workload.Request{"web-server": make([]workload.Request, 20)},
		Arrivals: map[string]*Arrival{"collector-eni": {}},
		Traffic:  map[string]TrafficResult{"http": {TrafficCounts: spec.TrafficCounts{Sent: 20, Succeeded: 20}}}}
	r := &Result{Scenario: s.Name, File: s.File, Provider: "aws", Passed: true}
	r.Expectations, r.Comparisons, r.Losses = Judge(s, o)
	for _, v := range r.Expectations {
		r.Passed = r.Passed && v.Passed
	}
	if !r.Passed {
		t.Fatalf("verdicts %+v", r.Expectations)
	}
	var b bytes.Buffer
	WriteSummary(&b, r)
	for _, want := range []string{"PASS  nacl-blocks-vxlan", "25 mirrored packets LOST: the target subnet's network ACL denies inbound UDP 4789", "ok   every copy was dropped by the nacl"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
	// JUnit: one case per expectation, failures carry file:line
	r.Expectations[0].Passed = false
	b.Reset()
	if err := WriteJUnit(&b, []*Result{r, {Scenario: "broken", Error: "build the VPC: boom"}}); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("JUnit does not parse: %v\n%s", err, b.String())
	}
	if len(doc.Suites) != 2 || doc.Suites[0].Tests != len(r.Expectations) || doc.Suites[0].Failures != 1 || doc.Suites[1].Errors != 1 {
		t.Fatalf("junit %+v", doc)
	}
	if f := doc.Suites[0].Cases[0].Failure; f == nil || !strings.Contains(f.Text, "nacl-blocks-vxlan.yaml:") {
		t.Fatalf("failure %+v", f)
	}
}

// The per-endpoint table of compared responses is in the terminal
// summary, in the JUnit suite's system-out and in the JSON report.
func TestCompareTableInEveryReport(t *testing.T) {
	st := &compare.Stats{Compared: 50, Identical: 20, Different: 25, Noise: 5, Dropped: map[string]uint64{"timeout_test": 2},
		Endpoints: []compare.EndpointStats{
			{Endpoint: "GET /api/user/{id}", Compared: 25, Identical: 20, Noise: 5, ProdP50ms: 0.5, ProdP99ms: 1.25, TestP50ms: 0.75, TestP99ms: 2},
			{Endpoint: "POST /api/orders", Compared: 25, Different: 25, DifferentBy: map[string]uint64{"status": 20, "body": 5},
				Fields: []compare.FieldCount{{Field: "status", Pairs: 20}, {Field: "body .id", Pairs: 5}}, ProdP50ms: 1, ProdP99ms: 3, TestP50ms: 1.5, TestP99ms: 4},
		}}
	r := &Result{Scenario: "shadow", File: "shadow.yaml", Provider: "aws", Passed: true,
		Programs: []ProgramResult{{Name: "adapter-agent", Kind: "agent", Compare: st}}}
	want := []string{
		"responses: compared 50, identical 20, different 25, noise 5, incomplete 0, not compared 2 (timeout_test 2)",
		"  endpoint           compared identical  noise different status header   body  p50/p99 prod ms   p50/p99 test ms",
		"  GET /api/user/{id}       25        20      5         0      0      0      0  0.50/1.25         0.75/2.00",
		"  POST /api/orders         25         0      0        25     20      0      5  1.00/3.00         1.50/4.00  differs: status",
	}
	var b bytes.Buffer
	WriteSummary(&b, r)
	if !strings.Contains(b.String(), "  "+strings.Join(want, "\n  ")+"\n") {
		t.Errorf("summary:\n%s\nwant the lines:\n%s", b.String(), strings.Join(want, "\n"))
	}
	b.Reset()
	if err := WriteJUnit(&b, []*Result{r}); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if out := doc.Suites[0].SystemOut; !strings.Contains(out, "adapter-agent "+strings.Join(want, "\n")) {
		t.Errorf("junit system-out:\n%s", out)
	}
	js, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Programs[0].Compare, st) || !strings.Contains(string(js), `"differentBy":{"body":5,"status":20}`) {
		t.Errorf("json: %s", js)
	}
}
