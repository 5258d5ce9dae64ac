package httpparse

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

type respRecorder struct {
	out []string // one line per outcome, in order
}

func (r *respRecorder) Response(x *Response) {
	flag := ""
	if x.Incomplete {
		flag += " incomplete"
	}
	if x.BodyCut {
		flag += " cut"
	}
	r.out = append(r.out, fmt.Sprintf("%d %s %d %q len=%d%s", x.Seq, x.Method, x.Status, x.Body, x.BodyLen, flag))
}

func (r *respRecorder) Unanswered(seq uint64, l Loss) {
	r.out = append(r.out, fmt.Sprintf("%d lost %s", seq, l))
}

func resp(status int, body string, hdr ...string) string {
	h := strings.Join(hdr, "\r\n")
	if h != "" {
		h += "\r\n"
	}
	return fmt.Sprintf("HTTP/1.1 %d X\r\nDate: now\r\n%sContent-Length: %d\r\n\r\n%s", status, h, len(body), body)
}

func chunkedResp(parts ...string) string {
	var b strings.Builder
	b.WriteString("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
	for _, p := range parts {
		fmt.Fprintf(&b, "%x;x=y\r\n%s\r\n", len(p), p)
	}
	b.WriteString("0\r\nX-T: 1\r\n\r\n")
	return b.String()
}

func runResp(lim Limits, methods []string, chunks []string, closeEnd bool) []string {
	rec := &respRecorder{}
	p := NewResponseParser(rec, lim)
	for i, m := range methods {
		p.Expect(uint64(i+1), m)
	}
	for _, c := range chunks {
		p.Feed([]byte(c))
	}
	if closeEnd {
		p.Close()
	}
	return rec.out
}

func TestResponsesPairedInOrder(t *testing.T) {
	cases := []struct {
		name    string
		methods []string
		stream  string
		want    []string
	}{
		{"keep-alive pipelined", []string{"GET", "POST", "GET"},
			resp(200, "a") + resp(201, "bb") + resp(404, ""),
			[]string{`1 GET 200 "a" len=1`, `2 POST 201 "bb" len=2`, `3 GET 404 "" len=0`}},
		{"chunked", []string{"GET", "GET"}, chunkedResp("hel", "lo") + resp(200, "x"),
			[]string{`1 GET 200 "hello" len=5`, `2 GET 200 "x" len=1`}},
		{"HEAD has no body despite Content-Length", []string{"HEAD", "GET"},
			"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n" + resp(200, "y"),
			[]string{`1 HEAD 200 "" len=0`, `2 GET 200 "y" len=1`}},
		{"1xx interim then final", []string{"POST"},
			"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\n" + resp(200, "ok"),
			[]string{`1 POST 200 "ok" len=2`}},
		{"204 and 304 without body", []string{"DELETE", "GET", "GET"},
			"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n" + resp(200, "z"),
			[]string{`1 DELETE 204 "" len=0`, `2 GET 304 "" len=0`, `3 GET 200 "z" len=1`}},
		{"until close", []string{"GET"}, "HTTP/1.0 200 OK\r\n\r\nall of it",
			[]string{`1 GET 200 "all of it" len=9`}},
		{"connection ends mid-body", []string{"GET", "GET"}, resp(200, "0123456789")[:55],
			nil},
		{"no response at all", []string{"GET"}, "", []string{"1 lost no_response"}},
		{"malformed", []string{"GET", "GET"}, "garbage\r\n\r\n",
			[]string{"1 lost malformed", "2 lost malformed"}},
		{"101 upgrade", []string{"GET", "GET"}, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello",
			[]string{`1 GET 101 "" len=0`, "2 lost upgraded"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := runResp(Limits{}, c.methods, []string{c.stream}, true)
			if c.name == "connection ends mid-body" {
				if len(got) != 2 || !strings.Contains(got[0], "incomplete") || got[1] != "2 lost no_response" {
					t.Fatalf("got %q", got)
				}
				return
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestResponseBodyCap(t *testing.T) {
	got := runResp(Limits{MaxBody: 4}, []string{"GET", "GET"}, []string{resp(200, "0123456789") + chunkedResp("abc", "defg")}, true)
	want := []string{`1 GET 200 "0123" len=10 cut`, `2 GET 200 "abcd" len=7 cut`}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q", got)
	}
}

func TestResponseGapInBodyKeepsPairing(t *testing.T) {
	rec := &respRecorder{}
	p := NewResponseParser(rec, Limits{})
	p.Expect(1, "GET")
	p.Expect(2, "GET")
	r1 := resp(200, "0123456789")
	cut := len(r1) - 6
	p.Feed([]byte(r1[:cut]))
	p.Gap(3)
	p.Feed([]byte(r1[cut+3:] + resp(200, "next")))
	want := []string{`1 GET 200 "0123789" len=10 incomplete`, `2 GET 200 "next" len=4`}
	if !reflect.DeepEqual(rec.out, want) {
		t.Fatalf("got %q", rec.out)
	}
}

func TestResponseGapUnknownDesyncs(t *testing.T) {
	rec := &respRecorder{}
	p := NewResponseParser(rec, Limits{})
	p.Expect(1, "GET")
	p.Expect(2, "GET")
	p.Feed([]byte(chunkedResp("abc")[:50]))
	p.Gap(-1)
	p.Feed([]byte(resp(200, "x")))
	p.Expect(3, "GET")
	want := []string{`1 GET 200 "" len=0 incomplete`, "2 lost desync", "3 lost desync"}
	if !reflect.DeepEqual(rec.out, want) {
		t.Fatalf("got %q", rec.out)
	}
}

func TestResponseMidStream(t *testing.T) {
	rec := &respRecorder{}
	p := NewResponseParser(rec, Limits{})
	p.Gap(-1)
	p.Expect(1, "GET")
	if want := []string{"1 lost mid_stream"}; !reflect.DeepEqual(rec.out, want) {
		t.Fatalf("got %q", rec.out)
	}
}

func TestResponseBeforeItsRequest(t *testing.T) {
	// The response bytes arrive before the request is announced: they
	// wait, then pair.
	rec := &respRecorder{}
	p := NewResponseParser(rec, Limits{})
	p.Feed([]byte(resp(200, "early") + "HTTP/1.1 200 OK\r\nContent-"))
	p.Expect(7, "GET")
	p.Feed([]byte("Length: 1\r\n\r\nz"))
	p.Expect(8, "GET")
	want := []string{`7 GET 200 "early" len=5`, `8 GET 200 "z" len=1`}
	if !reflect.DeepEqual(rec.out, want) {
		t.Fatalf("got %q", rec.out)
	}
}

// splitAll feeds s cut at random places and returns the outcomes. With
// interleave, the requests are announced at random points between the
// cuts; otherwise all first.
func splitAll(rng *rand.Rand, methods []string, s string, lim Limits, interleave bool) []string {
	rec := &respRecorder{}
	p := NewResponseParser(rec, lim)
	next := 0
	for len(s) > 0 || next < len(methods) {
		if next < len(methods) && (len(s) == 0 || !interleave || rng.IntN(3) == 0) {
			p.Expect(uint64(next+1), methods[next])
			next++
			continue
		}
		n := 1 + rng.IntN(len(s))
		p.Feed([]byte(s[:n]))
		s = s[n:]
	}
	p.Close()
	return rec.out
}

func TestResponseSplitInvariance(t *testing.T) {
	methods := []string{"GET", "HEAD", "POST", "GET", "GET", "GET"}
	s := resp(200, "a") + "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n" +
		"HTTP/1.1 100 Continue\r\n\r\n" + resp(201, "created") +
		chunkedResp("x", "yz", "0123456789abcdef") + "HTTP/1.1 304 NM\r\n\r\n" + "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\ntail"
	want := runResp(Limits{}, methods, []string{s}, true)
	if len(want) != 6 {
		t.Fatalf("reference: %q", want)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 500; i++ {
		if got := splitAll(rng, methods, s, Limits{}, i%2 == 0); !reflect.DeepEqual(got, want) {
			t.Fatalf("split %d: got %q\nwant %q", i, got, want)
		}
	}
}

func FuzzResponseParser(f *testing.F) {
	f.Add(resp(200, "a")+chunkedResp("b", "cd")+"HTTP/1.1 204 N\r\n\r\n", "GET,HEAD,GET,GET", uint64(1))
	f.Add("HTTP/1.1 100 C\r\n\r\nHTTP/1.0 200 OK\r\n\r\nrest", "POST", uint64(2))
	f.Add("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "GET", uint64(3))
	f.Fuzz(func(t *testing.T, s, methods string, seed uint64) {
		ms := strings.Split(methods, ",")
		if len(ms) > 64 {
			ms = ms[:64]
		}
		lim := Limits{MaxHeader: 256, MaxBody: 64}
		want := runResp(lim, ms, []string{s}, true)
		if len(want) != len(ms) {
			t.Fatalf("%d outcomes for %d requests: %q", len(want), len(ms), want)
		}
		rng := rand.New(rand.NewPCG(seed, 7))
		got := splitAll(rng, ms, s, lim, false)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("split changed the result:\n got %q\nwant %q", got, want)
		}
		// Requests announced between the cuts: a response that waits for
		// its request may hit the buffer limit sooner, but every request
		// still gets exactly one outcome, in order.
		got = splitAll(rng, ms, s, lim, true)
		if len(got) != len(ms) {
			t.Fatalf("interleaved: %d outcomes for %d requests: %q", len(got), len(ms), got)
		}
		for i, o := range got {
			if !strings.HasPrefix(o, fmt.Sprint(i+1)+" ") {
				t.Fatalf("interleaved: outcome %d out of order: %q", i, got)
			}
		}
	})
}

func BenchmarkResponseParser(b *testing.B) {
	s := []byte(resp(200, `{"id":1,"name":"x"}`, "Content-Type: application/json", "Server: s") + chunkedResp("abc", "def"))
	h := &countHandler{}
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for i := 0; i < b.N; i++ {
		p := NewResponseParser(h, Limits{})
		p.Expect(1, "GET")
		p.Expect(2, "GET")
		p.Feed(s)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(2*b.N), "ns/response")
}

type countHandler struct{ n int }

func (c *countHandler) Response(*Response)      { c.n++ }
func (c *countHandler) Unanswered(uint64, Loss) {}

// pairer joins a request parser to a response parser the way the agent
// does: each request announced in order, a dropped request desyncs.
type pairer struct {
	rp     *ResponseParser
	seq    uint64
	reqs   int
	events []string // what the request parser reported
}

func (p *pairer) Request(r *Request) {
	p.seq++
	p.reqs++
	p.events = append(p.events, r.Method+" "+r.Target)
	p.rp.Expect(p.seq, r.Method)
}
func (p *pairer) Drop(d DropReason) { p.events = append(p.events, d.String()); p.rp.Desync(LossDesync) }
func (p *pairer) Classified(Kind)   {}
func (p *pairer) close(q *Parser)   { q.Close(); p.rp.Close() }
func newPairer(rec *respRecorder) (*pairer, *Parser) {
	lim := Limits{MaxHeader: 512, MaxBody: 128}
	pr := &pairer{rp: NewResponseParser(rec, lim)}
	return pr, New(pr, lim)
}

func cuts(rng *rand.Rand, s string) []string {
	var out []string
	for len(s) > 0 {
		n := 1 + rng.IntN(len(s))
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}

func FuzzPairing(f *testing.F) {
	f.Add(get("/a")+"HEAD /b HTTP/1.1\r\n\r\n"+post("/c", "xy"), resp(200, "a")+"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"+chunkedResp("q"), uint64(1))
	f.Fuzz(func(t *testing.T, reqs, resps string, seed uint64) {
		ref := &respRecorder{}
		pr, q := newPairer(ref)
		q.Feed([]byte(reqs))
		pr.rp.Feed([]byte(resps))
		pr.close(q)
		if len(ref.out) != pr.reqs {
			t.Fatalf("%d outcomes for %d requests: %q", len(ref.out), pr.reqs, ref.out)
		}
		rng := rand.New(rand.NewPCG(seed, 3))
		got := &respRecorder{}
		pr2, q2 := newPairer(got)
		for _, c := range cuts(rng, reqs) {
			q2.Feed([]byte(c))
		}
		for _, c := range cuts(rng, resps) {
			pr2.rp.Feed([]byte(c))
		}
		pr2.close(q2)
		// The request parser's own split-invariance is its tests' business;
		// given the same requests, the pairing must not depend on the cuts.
		if reflect.DeepEqual(pr2.events, pr.events) && !reflect.DeepEqual(got.out, ref.out) {
			t.Fatalf("split changed the pairing:\n got %q\nwant %q", got.out, ref.out)
		}
		// Both directions interleaved at random: still one outcome per
		// request, in order.
		il := &respRecorder{}
		pr3, q3 := newPairer(il)
		rc, sc := cuts(rng, reqs), cuts(rng, resps)
		for len(rc)+len(sc) > 0 {
			if len(rc) > 0 && (len(sc) == 0 || rng.IntN(2) == 0) {
				q3.Feed([]byte(rc[0]))
				rc = rc[1:]
			} else {
				pr3.rp.Feed([]byte(sc[0]))
				sc = sc[1:]
			}
		}
		pr3.close(q3)
		if len(il.out) != pr3.reqs {
			t.Fatalf("interleaved: %d outcomes for %d requests", len(il.out), pr3.reqs)
		}
	})
}
