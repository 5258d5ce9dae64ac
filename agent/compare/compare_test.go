package compare

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/agent/internal/budget"
	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
)

func jsonResp(status int, body string, hdr ...string) *Response {
	h := []httpparse.Field{{Name: "Content-Type", Value: "application/json"}}
	for i := 0; i+1 < len(hdr); i += 2 {
		h = append(h, httpparse.Field{Name: hdr[i], Value: hdr[i+1]})
	}
	return &Response{Status: status, Header: h, Body: []byte(body), Latency: time.Millisecond}
}

func mustNew(t testing.TB, o Options) *Comparer {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"/users/42/orders?x=1":                    "GET /users/{id}/orders",
		"/a/3f2c1e9a-0b7d-4c3e-9a1f-2b3c4d5e6f70": "GET /a/{id}",
		"/blob/0123456789abcdef0123":              "GET /blob/{id}",
		"/v2/items":                               "GET /v2/items",
		"http://example.test/x/7":                 "GET /x/{id}",
		"":                                        "GET /",
		"/cafe":                                   "GET /cafe",
	} {
		if got := endpointName("GET", in); got != want {
			t.Errorf("endpointName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDiffKinds(t *testing.T) {
	c := mustNew(t, Options{IgnoreHeaders: []string{"X-Build"}, IgnoreJSON: []string{".meta.ts", "items[].updated"}})
	base := jsonResp(200, `{"a":1,"b":[1,2],"meta":{"ts":1,"v":"x"},"items":[{"id":1,"updated":5}]}`, "Date", "Mon", "X-Build", "1", "Cache-Control", "no-store")
	cases := []struct {
		name string
		test *Response
		want []string
	}{
		{"identical modulo key order, ignored fields and default headers",
			jsonResp(200, `{"items":[{"updated":9,"id":1}],"meta":{"v":"x","ts":2},"b":[1,2.0],"a":1}`, "Date", "Tue", "X-Build", "2", "Cache-Control", "no-store"), nil},
		{"status", jsonResp(500, `{"a":1,"b":[1,2],"meta":{"ts":1,"v":"x"},"items":[{"id":1,"updated":5}]}`, "Cache-Control", "no-store"),
			[]string{"status: 200 != 500"}},
		{"header value and missing header",
			jsonResp(200, `{"a":1,"b":[1,2],"meta":{"ts":1,"v":"x"},"items":[{"id":1,"updated":5}]}`, "Cache-Control", "max-age=1", "X-New", "y"),
			[]string{"header cache-control: no-store != max-age=1", "header x-new:  != y"}},
		{"json paths",
			jsonResp(200, `{"a":2,"b":[1],"meta":{"ts":1,"v":"y"},"items":[{"id":1,"updated":5}],"c":true}`, "Cache-Control", "no-store"),
			[]string{"body .a: 1 != 2", "body .b[1]: 2 != (missing)", "body .c: (missing) != true", "body .meta.v: \"x\" != \"y\""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, d := range c.diff(nil, base, tc.test) {
				got = append(got, d.String())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
	plainA := &Response{Status: 200, Body: []byte("hello")}
	plainB := &Response{Status: 200, Body: []byte("hellO")}
	if d := c.diff(nil, plainA, plainB); len(d) != 1 || d[0].Kind != kindBody || d[0].Field != "" {
		t.Fatalf("plain body: %v", d)
	}
	cutB := &Response{Status: 200, Body: []byte("hellO"), BodyCut: true}
	if d := c.diff(nil, plainA, cutB); len(d) != 0 {
		t.Fatalf("a cut body must not be compared: %v", d)
	}
}

func TestBadOptions(t *testing.T) {
	_, err := New(Options{IgnoreHeaders: []string{"a b"}, IgnoreJSON: []string{".a[x]", ""}})
	if err == nil || !strings.Contains(err.Error(), `"a b"`) || !strings.Contains(err.Error(), `index "x"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestOutcomesAndBaselineNoise(t *testing.T) {
	c := mustNew(t, Options{})
	prod := jsonResp(200, `{"name":"a","ts":1}`)
	same := jsonResp(200, `{"ts":1,"name":"a"}`)
	tsDiff := jsonResp(200, `{"name":"a","ts":2}`)
	nameDiff := jsonResp(200, `{"name":"b","ts":3}`)
	baseTS := jsonResp(200, `{"name":"a","ts":4}`)
	if r := c.Compare(&Pair{Method: "GET", Target: "/u/1", Prod: prod, Test: same, Baseline: baseTS}); r.Outcome != Identical {
		t.Fatalf("same: %v", r)
	}
	if r := c.Compare(&Pair{Method: "GET", Target: "/u/2", Prod: prod, Test: tsDiff, Baseline: baseTS}); r.Outcome != Noise {
		t.Fatalf("ts: %v", r)
	}
	r := c.Compare(&Pair{Method: "GET", Target: "/u/3", Prod: prod, Test: nameDiff, Baseline: baseTS})
	if r.Outcome != Different || len(r.Diffs) != 1 || r.Diffs[0].Field != ".name" {
		t.Fatalf("name: %+v", r)
	}
	inc := jsonResp(200, `{}`)
	inc.Incomplete = true
	if r := c.Compare(&Pair{Method: "GET", Target: "/u/4", Prod: inc, Test: same}); r.Outcome != Incomplete {
		t.Fatalf("incomplete: %v", r)
	}
	s := c.Stats()
	want := EndpointStats{Endpoint: "GET /u/{id}", Compared: 3, Identical: 1, Different: 1, Noise: 1, Incomplete: 1,
		DifferentBy: map[string]uint64{"body": 1}, Fields: []FieldCount{{"body .name", 1}}, NoiseFields: []string{"body .ts"},
		Example: `body .name: "a" != "b"`, ProdP50ms: 1.145, ProdP99ms: 1.145, TestP50ms: 1.145, TestP99ms: 1.145, ProdMeanMs: 1, TestMeanMs: 1}
	if len(s.Endpoints) != 1 || !reflect.DeepEqual(s.Endpoints[0], want) {
		t.Fatalf("stats %+v\nwant  %+v", s.Endpoints, want)
	}
}

func TestNoiseLearnedFromProductionCountsRetroactively(t *testing.T) {
	c := mustNew(t, Options{})
	// The first pair differs on .ts before anything is known: a
	// regression for now.
	r := c.Compare(&Pair{Method: "GET", Target: "/t", RequestKey: 7,
		Prod: jsonResp(200, `{"v":1,"ts":1}`), Test: jsonResp(200, `{"v":1,"ts":2}`)})
	if r.Outcome != Different {
		t.Fatalf("first: %v", r.Outcome)
	}
	// Production answers the identical request differently on .ts: noise.
	r = c.Compare(&Pair{Method: "GET", Target: "/t", RequestKey: 7,
		Prod: jsonResp(200, `{"v":1,"ts":3}`), Test: jsonResp(200, `{"v":1,"ts":4}`)})
	if r.Outcome != Noise {
		t.Fatalf("second: %v", r.Outcome)
	}
	// A real change stays a regression.
	c.Compare(&Pair{Method: "GET", Target: "/t", RequestKey: 8,
		Prod: jsonResp(200, `{"v":1,"ts":5}`), Test: jsonResp(200, `{"v":2,"ts":6}`)})
	s := c.Stats()
	e := s.Endpoints[0]
	if e.Compared != 3 || e.Noise != 2 || e.Different != 1 || len(e.Fields) != 1 || e.Fields[0].Field != "body .v" {
		t.Fatalf("stats %+v", e)
	}
}

func TestLatencyQuantiles(t *testing.T) {
	var h hist
	for i := 1; i <= 100; i++ {
		h.add(time.Duration(i) * time.Millisecond)
	}
	p50, p99 := h.quantile(0.5), h.quantile(0.99)
	if p50 < 50 || p50 > 60 || p99 < 99 || p99 > 120 {
		t.Fatalf("p50 %v p99 %v", p50, p99)
	}
}

func TestEndpointCap(t *testing.T) {
	c := mustNew(t, Options{MaxEndpoints: 2})
	for i := 0; i < 5; i++ {
		r := jsonResp(200, "{}")
		c.Compare(&Pair{Method: "GET", Target: fmt.Sprintf("/p%c", 'a'+i), Prod: r, Test: r})
	}
	s := c.Stats()
	if len(s.Endpoints) != 3 || s.Endpoints[2].Endpoint != "other" || s.Endpoints[2].Compared != 3 || s.Compared != 5 {
		t.Fatalf("%+v", s)
	}
}

func BenchmarkCompare(b *testing.B) {
	body := `{"id":17,"name":"widget","tags":["a","b","c"],"price":12.5,"meta":{"ts":1700000000,"v":"3"}}`
	hdr := []string{"Date", "Mon", "Server", "x", "Cache-Control", "no-store", "X-Request-Id", "abc"}
	prod := jsonResp(200, body, hdr...)
	for _, tc := range []struct {
		name string
		test *Response
	}{
		{"identical-bytes", jsonResp(200, body, hdr...)},
		{"json-reordered", jsonResp(200, `{"name":"widget","id":17,"tags":["a","b","c"],"price":12.50,"meta":{"v":"3","ts":1700000000}}`, hdr...)},
		{"json-changed", jsonResp(200, strings.Replace(body, "widget", "gadget", 1), hdr...)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c := mustNew(b, Options{IgnoreJSON: []string{".meta.ts"}})
			p := &Pair{Method: "GET", Target: "/items/17", Prod: prod, Test: tc.test}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				c.Compare(p)
			}
		})
	}
}

// The production answers kept to learn noise from are bounded by count per
// endpoint, by bytes over all endpoints and by the memory budget; every
// response not kept is counted, and Close gives the bytes back.
func TestLearningIsBounded(t *testing.T) {
	body := strings.Repeat("x", 1000)
	keep := func(c *Comparer, n int) {
		for i := 0; i < n; i++ {
			r := jsonResp(200, body)
			c.Compare(&Pair{Method: "GET", Target: fmt.Sprintf("/e%d/x", i%3), RequestKey: uint64(i + 1), Prod: r, Test: r})
		}
	}
	b := budget.New(64 << 20)
	c := mustNew(t, Options{LearnEntries: 4, Budget: b})
	keep(c, 30) // 3 endpoints x 4 kept, 18 not
	s := c.Stats()
	if s.LearnKept != 12 || s.LearnSkipped != 18 || s.LearnKeptBytes != b.Used() || b.Used() < 12*1000 {
		t.Fatalf("per endpoint: kept %d (%d bytes, budget %d), skipped %d", s.LearnKept, s.LearnKeptBytes, b.Used(), s.LearnSkipped)
	}
	c.Close()
	if b.Used() != 0 || c.Stats().LearnKeptBytes != 0 {
		t.Fatalf("after Close the budget holds %d, kept %d", b.Used(), c.Stats().LearnKeptBytes)
	}

	c = mustNew(t, Options{LearnBytes: 5000})
	keep(c, 30)
	if s := c.Stats(); s.LearnKept != 4 || s.LearnKeptBytes > 5000 || s.LearnSkipped != 26 {
		t.Fatalf("byte cap: %+v", s)
	}

	small := budget.New(budget.MinReserve + 3000) // room for 2 responses of state
	c = mustNew(t, Options{Budget: small})
	keep(c, 30)
	if s := c.Stats(); s.LearnKept != 2 || s.LearnSkipped != 28 || small.Refused() != 28 {
		t.Fatalf("budget: %+v (refused %d)", s, small.Refused())
	}
}
