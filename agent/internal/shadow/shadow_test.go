package shadow

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/agent/internal/budget"
	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
	"github.com/mirrorlab/mirrorlab/agent/internal/replay"
	"github.com/mirrorlab/mirrorlab/agent/internal/stream"
)

func TestJoinCompareAndDrops(t *testing.T) {
	var out bytes.Buffer
	b := budget.New(64 << 20)
	s, err := New(Config{Output: &out, Budget: b, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1000, 0)
	s.now = func() time.Time { return now }
	c := stream.Conn{ID: 1}
	t0 := time.Unix(500, 0)
	req := func(seq uint64, target string) *httpparse.Request {
		r := &httpparse.Request{Method: "GET", Target: target, Proto: "HTTP/1.1", Seq: seq, Time: t0}
		s.Request(c, r)
		return r
	}
	prod := func(seq uint64, status int, body string) {
		s.Response(c, &httpparse.Response{Seq: seq, Status: status, Body: []byte(body)}, t0.Add(2*time.Millisecond))
	}
	test := func(r *httpparse.Request, status int, body string) {
		s.TestResult(c, r, &replay.Result{Status: status, Body: []byte(body), Latency: 3 * time.Millisecond})
	}
	// 1: identical, test first. 2: 500 on the test side. 3: production
	// never answers (the stream says why). 4: the replay queue was full.
	// 5: no response at all: times out.
	r1 := req(1, "/a/1")
	test(r1, 200, "x")
	prod(1, 200, "x")
	r2 := req(2, "/b")
	prod(2, 200, "y")
	test(r2, 500, "y")
	req(3, "/c")
	s.Unanswered(c, 3, httpparse.LossDesync)
	r4 := req(4, "/d")
	s.TestResult(c, r4, &replay.Result{Dropped: "queue_full"})
	req(5, "/e")
	if st := s.Stats(); st.Pending != 1 {
		t.Fatalf("pending %d", st.Pending)
	}
	now = now.Add(2 * time.Second)
	s.Sweep()
	st := s.Stats()
	wantDrops := map[string]uint64{"production_desync": 1, "test_queue_full": 1, "timeout_production": 1}
	if st.Compared != 2 || st.Identical != 1 || st.Different != 1 || st.Pending != 0 || !reflect.DeepEqual(st.Dropped, wantDrops) {
		t.Fatalf("stats %+v", st)
	}
	// Two distinct requests' production answers are kept to learn noise
	// from: charged to the budget until Close.
	if kept := s.Comparer().Stats().LearnKeptBytes; kept == 0 || b.Used() != kept || st.LearnKept != 2 || st.LearnKeptBytes != kept {
		t.Fatalf("budget holds %d bytes, kept for learning %d (stats: %d responses, %d bytes)", b.Used(), kept, st.LearnKept, st.LearnKeptBytes)
	}
	s.Close()
	if b.Used() != 0 {
		t.Fatalf("budget still holds %d bytes after Close", b.Used())
	}
	var line diffLine
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	if line.Request != "GET /b HTTP/1.1" || line.ProductionStatus != 200 || line.TestStatus != 500 || line.Kind != "status" || line.ProductionMs != 2 || line.TestMs != 3 {
		t.Fatalf("line %+v", line)
	}
	if e := st.Endpoints[0]; e.Endpoint != "GET /a/{id}" || e.ProdP50ms < 2 || e.TestP50ms < 3 {
		t.Fatalf("endpoint %+v", e)
	}
}

func TestPendingCapAndBudget(t *testing.T) {
	s, err := New(Config{MaxPending: 2, Budget: budget.New(64 << 20)})
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(1); i <= 3; i++ {
		s.Request(stream.Conn{ID: 1}, &httpparse.Request{Method: "GET", Target: "/", Seq: i})
	}
	s.Close()
	st := s.Stats()
	if st.Dropped["pending_limit"] != 1 || st.Dropped["shutdown_production"] != 2 {
		t.Fatalf("dropped %v", st.Dropped)
	}
}

// With a baseline, noise is what production and the baseline disagree on;
// production's own answers to identical requests are not learned from.
func TestBaselineDecidesNoise(t *testing.T) {
	for _, baseline := range []bool{false, true} {
		b := budget.New(64 << 20)
		s, err := New(Config{Baseline: baseline, Budget: b})
		if err != nil {
			t.Fatal(err)
		}
		c := stream.Conn{ID: 1}
		for i := uint64(1); i <= 3; i++ {
			// production's timestamp changes per answer; the baseline
			// answers as production did; the test server differs on it.
			r := &httpparse.Request{Method: "GET", Target: "/t", Proto: "HTTP/1.1", Seq: i}
			prod := []byte(`{"v":1,"ts":` + string(rune('0'+i)) + `}`)
			s.Request(c, r)
			s.Response(c, &httpparse.Response{Seq: i, Status: 200, Body: prod}, time.Time{})
			s.TestResult(c, r, &replay.Result{Status: 200, Body: []byte(`{"v":1,"ts":9}`)})
			if baseline {
				s.BaselineResult(c, r, &replay.Result{Status: 200, Body: prod})
			}
		}
		st := s.Stats()
		// Without a baseline the first pair differs and the later ones
		// teach that .ts is noise (all three count as noise then); with
		// one that agrees with production, .ts is a regression.
		wantNoise, wantDiff, wantKept := uint64(3), uint64(0), int64(1)
		if baseline {
			wantNoise, wantDiff, wantKept = 0, 3, 0
		}
		if st.Compared != 3 || st.Noise != wantNoise || st.Different != wantDiff || st.LearnKept != wantKept {
			t.Errorf("baseline %v: %+v", baseline, st)
		}
		s.Close()
		if b.Used() != 0 {
			t.Errorf("baseline %v: budget holds %d bytes after Close", baseline, b.Used())
		}
	}
}

// A differing pair's -compare-output line carries the first differing
// header (or JSON path) and both bodies cut to OutputBody.
func TestOutputLineCutsBodies(t *testing.T) {
	var out bytes.Buffer
	s, err := New(Config{Output: &out, OutputBody: 8})
	if err != nil {
		t.Fatal(err)
	}
	c := stream.Conn{ID: 1}
	r := &httpparse.Request{Method: "GET", Target: "/x", Proto: "HTTP/1.1", Seq: 1}
	s.Request(c, r)
	s.Response(c, &httpparse.Response{Seq: 1, Status: 200, Header: []httpparse.Field{{Name: "Cache-Control", Value: "no-store"}},
		Body: []byte("production body, long")}, time.Time{})
	s.TestResult(c, r, &replay.Result{Status: 200, Header: []httpparse.Field{{Name: "Cache-Control", Value: "max-age=60"}},
		Body: []byte("test body, long too")})
	var line diffLine
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	if line.Kind != "header" || line.Field != "cache-control" || line.Production != "no-store" || line.Test != "max-age=60" ||
		line.ProductionBody != "producti…" || line.TestBody != "test bod…" {
		t.Fatalf("line %+v", line)
	}
}
