package httpparse

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

type recorder struct {
	reqs  []*Request
	drops []DropReason
	kinds []Kind
}

func (r *recorder) Request(q *Request) { r.reqs = append(r.reqs, q) }
func (r *recorder) Drop(d DropReason)  { r.drops = append(r.drops, d) }
func (r *recorder) Classified(k Kind)  { r.kinds = append(r.kinds, k) }
func (r *recorder) targets() (out []string) {
	for _, q := range r.reqs {
		out = append(out, q.Method+" "+q.Target+" "+string(q.Body))
	}
	return out
}

func feed(t testing.TB, chunks ...string) *recorder {
	t.Helper()
	rec := &recorder{}
	p := New(rec, Limits{})
	for _, c := range chunks {
		p.Feed([]byte(c))
	}
	return rec
}

func get(path string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: example.test\r\nUser-Agent: t\r\n\r\n"
}

func post(path, body string) string {
	return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: example.test\r\nContent-Length: %d\r\n\r\n%s", path, len(body), body)
}

func chunked(path string, parts ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "PUT %s HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n", path)
	for _, p := range parts {
		fmt.Fprintf(&b, "%x;ext=1\r\n%s\r\n", len(p), p)
	}
	b.WriteString("0\r\nX-Trailer: yes\r\n\r\n")
	return b.String()
}

func TestSimpleGet(t *testing.T) {
	rec := feed(t, get("/a?b=c"))
	if len(rec.reqs) != 1 {
		t.Fatalf("got %d requests", len(rec.reqs))
	}
	want := &Request{Method: "GET", Target: "/a?b=c", Proto: "HTTP/1.1", Host: "example.test",
		Header: []Field{{"Host", "example.test"}, {"User-Agent", "t"}}, Size: len(get("/a?b=c"))}
	if !reflect.DeepEqual(rec.reqs[0], want) {
		t.Fatalf("got %+v\nwant %+v", rec.reqs[0], want)
	}
	if !reflect.DeepEqual(rec.kinds, []Kind{HTTP}) {
		t.Fatalf("kinds %v", rec.kinds)
	}
}

func TestHundredKeepAliveRequests(t *testing.T) {
	var all strings.Builder
	var want []string
	for i := 0; i < 100; i++ {
		if i%2 == 0 {
			all.WriteString(get(fmt.Sprintf("/r%d", i)))
			want = append(want, fmt.Sprintf("GET /r%d ", i))
		} else {
			body := fmt.Sprintf("body-%d", i)
			all.WriteString(post(fmt.Sprintf("/r%d", i), body))
			want = append(want, fmt.Sprintf("POST /r%d %s", i, body))
		}
	}
	// Whole, byte by byte, and in random pieces: same requests.
	s := all.String()
	var bytewise []string
	for i := range s {
		bytewise = append(bytewise, s[i:i+1])
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var pieces []string
	for rest := s; len(rest) > 0; {
		n := min(len(rest), 1+rng.IntN(700))
		pieces = append(pieces, rest[:n])
		rest = rest[n:]
	}
	for name, chunks := range map[string][]string{"whole": {s}, "bytewise": bytewise, "random": pieces} {
		rec := feed(t, chunks...)
		if !reflect.DeepEqual(rec.targets(), want) || len(rec.drops) != 0 {
			t.Errorf("%s: got %d requests (drops %v), want 100 in order", name, len(rec.reqs), rec.drops)
		}
	}
}

// TestFeedDoesNotRetainData feeds every piece through one scratch buffer
// that is overwritten after each Feed, as reassembly reuses its pages.
func TestFeedDoesNotRetainData(t *testing.T) {
	s := get("/a") + post("/b", strings.Repeat("B", 3000)) + chunked("/c", "xx", strings.Repeat("C", 2000)) + get("/d")
	rec := &recorder{}
	p := New(rec, Limits{})
	scratch := make([]byte, 700)
	for rest := s; len(rest) > 0; {
		n := copy(scratch, rest)
		p.Feed(scratch[:n])
		for i := range scratch {
			scratch[i] = '#'
		}
		rest = rest[n:]
	}
	want := []string{"GET /a ", "POST /b " + strings.Repeat("B", 3000), "PUT /c xx" + strings.Repeat("C", 2000), "GET /d "}
	if got := rec.targets(); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %d requests: %.80q", len(got), got)
	}
	for _, r := range rec.reqs {
		for _, f := range r.Header {
			if strings.Contains(f.Name+f.Value, "#") {
				t.Fatalf("header %q aliases the caller's buffer", f)
			}
		}
	}
}

func TestChunkedAndPipelined(t *testing.T) {
	s := get("/1") + chunked("/2", "hello, ", "chunked ", strings.Repeat("x", 5000)) + post("/3", "abc") + "\r\n" + get("/4")
	rec := feed(t, s)
	want := []string{"GET /1 ", "PUT /2 hello, chunked " + strings.Repeat("x", 5000), "POST /3 abc", "GET /4 "}
	if !reflect.DeepEqual(rec.targets(), want) {
		t.Fatalf("got %q", rec.targets())
	}
	if !rec.reqs[1].Chunked || rec.reqs[1].Size != len(chunked("/2", "hello, ", "chunked ", strings.Repeat("x", 5000))) {
		t.Fatalf("chunked request: chunked=%v size=%d", rec.reqs[1].Chunked, rec.reqs[1].Size)
	}
}

func TestExpectContinue(t *testing.T) {
	head := "POST /up HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"
	rec := &recorder{}
	p := New(rec, Limits{})
	p.Feed([]byte(head))
	if len(rec.reqs) != 0 {
		t.Fatal("request emitted before its body")
	}
	p.Feed([]byte("hello"))
	if len(rec.reqs) != 1 || string(rec.reqs[0].Body) != "hello" || rec.reqs[0].Get("expect") != "100-continue" {
		t.Fatalf("got %+v", rec.reqs)
	}
}

func TestHTTP10(t *testing.T) {
	// HTTP/1.0 keeps the connection only with keep-alive (RFC 9112 9.3):
	// the server closes it after /b, and /c is never served.
	rec := feed(t, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\nGET /b HTTP/1.0\nHost: x\n\nGET /c HTTP/1.0\r\n\r\n")
	if len(rec.reqs) != 2 || rec.reqs[0].Proto != "HTTP/1.0" || rec.reqs[1].Host != "x" || len(rec.drops) != 0 {
		t.Fatalf("got %+v drops %v", rec.reqs, rec.drops)
	}
}

// tlsClientHello is the start of a TLS 1.2 ClientHello record.
var tlsClientHello = []byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03}

func TestTLSAndOtherProtocolsSkipped(t *testing.T) {
	for name, tc := range map[string]struct {
		first string
		kind  Kind
	}{
		"tls":   {string(tlsClientHello), TLS},
		"ssh":   {"SSH-2.0-OpenSSH_9.6 Debian\r\n", NotHTTP},
		"http2": {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", NotHTTP},
		"bin":   {"\x00\x01\x02GET / HTTP/1.1\r\n\r\n", NotHTTP},
	} {
		rec := feed(t, tc.first, get("/after"))
		if len(rec.reqs) != 0 || !reflect.DeepEqual(rec.kinds, []Kind{tc.kind}) {
			t.Errorf("%s: requests %d kinds %v, want none and %v", name, len(rec.reqs), rec.kinds, tc.kind)
		}
	}
}

func TestGapInBodyKnownLength(t *testing.T) {
	rec := &recorder{}
	p := New(rec, Limits{})
	r2 := post("/2", "0123456789")
	p.Feed([]byte(get("/1") + r2[:len(r2)-8]))
	p.Gap(3) // three body bytes lost
	p.Feed([]byte(r2[len(r2)-5:] + get("/3")))
	if got := rec.targets(); !reflect.DeepEqual(got, []string{"GET /1 ", "GET /3 "}) {
		t.Fatalf("got %q", got)
	}
	if !reflect.DeepEqual(rec.drops, []DropReason{DropGap}) {
		t.Fatalf("drops %v", rec.drops)
	}
}

func TestGapInHeadResyncs(t *testing.T) {
	rec := &recorder{}
	p := New(rec, Limits{})
	r2 := get("/2")
	p.Feed([]byte(get("/1") + r2[:10]))
	p.Gap(7)
	p.Feed([]byte(r2[17:])) // rest of the lost request: not a request start
	p.Feed([]byte(post("/3", "ok")))
	if got := rec.targets(); !reflect.DeepEqual(got, []string{"GET /1 ", "POST /3 ok"}) {
		t.Fatalf("got %q", got)
	}
	if !reflect.DeepEqual(rec.drops, []DropReason{DropGap}) {
		t.Fatalf("drops %v", rec.drops)
	}
}

func TestGapUnknownLengthInChunked(t *testing.T) {
	rec := &recorder{}
	p := New(rec, Limits{})
	c := chunked("/c", "aaaa", "bbbb")
	p.Feed([]byte(c[:len(c)-20]))
	p.Gap(-1)
	p.Feed([]byte(c[len(c)-10:]))
	p.Feed([]byte(get("/next")))
	if got := rec.targets(); !reflect.DeepEqual(got, []string{"GET /next "}) {
		t.Fatalf("got %q", got)
	}
	if len(rec.drops) != 1 || rec.drops[0] != DropGap {
		t.Fatalf("drops %v", rec.drops)
	}
}

func TestMidStreamStart(t *testing.T) {
	rec := &recorder{}
	p := New(rec, Limits{})
	p.Gap(-1)
	p.Feed([]byte("dy-of-something\r\n"))
	p.Feed([]byte(get("/x")))
	if got := rec.targets(); !reflect.DeepEqual(got, []string{"GET /x "}) || len(rec.drops) != 0 {
		t.Fatalf("got %q drops %v", got, rec.drops)
	}
}

func TestMalformedAndTooLarge(t *testing.T) {
	lim := Limits{MaxBody: 8, MaxHeader: 256}
	for name, tc := range map[string]struct {
		in    []string
		want  []string
		drops []DropReason
	}{
		// A head production refuses ends the connection (it closes it):
		// what follows is never served, so never replayed.
		"malformed stops": {[]string{get("/ok"), "GET /bad HTTP/1.1\r\nBad Header\r\n\r\n", get("/after-bad")},
			[]string{"GET /ok "}, []DropReason{DropMalformed}},
		// A body over MaxBody is skipped by its length: the stream stays
		// in step.
		"large body skipped": {[]string{post("/big", "0123456789abcdef"), post("/small", "0123")},
			[]string{"POST /small 0123"}, []DropReason{DropTooLarge}},
		"large chunked body skipped": {[]string{chunked("/big", "0123456", "789ab"), post("/small", "0123")},
			[]string{"POST /small 0123"}, []DropReason{DropTooLarge}},
		// A head over MaxHeader: its framing is unknown, the stream stops.
		"large head stops": {[]string{get("/ok"), "GET /huge HTTP/1.1\r\nX: " + strings.Repeat("a", 300) + "\r\n\r\n", get("/last")},
			[]string{"GET /ok "}, []DropReason{DropTooLarge}},
	} {
		rec := &recorder{}
		p := New(rec, lim)
		for _, s := range tc.in {
			p.Feed([]byte(s))
		}
		if got := rec.targets(); !reflect.DeepEqual(got, tc.want) || !reflect.DeepEqual(rec.drops, tc.drops) {
			t.Errorf("%s: requests %q drops %v, want %q %v", name, got, rec.drops, tc.want, tc.drops)
		}
	}
}

func TestMalformedHeads(t *testing.T) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX\x01: a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX: a\x00\r\n\r\n",
		"GET / HTTP/1.1\r\nHost : h\r\n\r\n",
		"GET / HTTP/1.1\r\n\r\n",
		"GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET / HTTP/2.0\r\nHost: h\r\n\r\n",
	} {
		rec := feed(t, get("/first"), s, get("/never"))
		if len(rec.reqs) != 1 || !reflect.DeepEqual(rec.drops, []DropReason{DropMalformed}) {
			t.Errorf("%q: requests %d drops %v", s, len(rec.reqs), rec.drops)
		}
	}
}

// TestObsFoldServed: obsolete line folding is replaced by a space (RFC
// 9112 5.2), as net/http does: the request is served, its body is not
// taken for requests.
func TestObsFoldServed(t *testing.T) {
	s := "POST /f HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n  b \r\n\tc\r\nContent-Length: " +
		fmt.Sprint(len(get("/in-body"))) + "\r\n\r\n" + get("/in-body")
	rec := feed(t, s, get("/next"))
	want := []string{"POST /f " + get("/in-body"), "GET /next "}
	if got := rec.targets(); !reflect.DeepEqual(got, want) || len(rec.drops) != 0 {
		t.Fatalf("requests %q drops %v, want %q", got, rec.drops, want)
	}
	if v := rec.reqs[0].Get("X-Folded"); v != "a b c" {
		t.Fatalf("folded value %q", v)
	}
}

func TestCloseDropsIncomplete(t *testing.T) {
	rec := &recorder{}
	p := New(rec, Limits{})
	s := post("/p", "0123456789")
	p.Feed([]byte(s[:len(s)-1]))
	p.Close()
	p.Feed([]byte(get("/ignored")))
	if len(rec.reqs) != 0 || !reflect.DeepEqual(rec.drops, []DropReason{DropIncomplete}) {
		t.Fatalf("requests %d drops %v", len(rec.reqs), rec.drops)
	}
}

func TestTransferEncodingOverridesLength(t *testing.T) {
	s := "POST /te HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
	rec := feed(t, s+get("/n"))
	if got := rec.targets(); !reflect.DeepEqual(got, []string{"POST /te hello", "GET /n "}) {
		t.Fatalf("got %q", got)
	}
}

// run feeds data to a new parser in pieces: gaps (position, length) are
// reported before the byte at that position; cuts are extra Feed
// boundaries that must not change the result.
func run(data []byte, gaps [][2]int, cuts []int, lim Limits) *recorder {
	rec := &recorder{}
	p := New(rec, lim)
	at := map[int][]int{}
	bounds := map[int]bool{}
	for _, g := range gaps {
		at[g[0]] = append(at[g[0]], g[1])
		bounds[g[0]] = true
	}
	for _, c := range cuts {
		bounds[c] = true
	}
	start := 0
	for i := 0; i <= len(data); i++ {
		if !bounds[i] && i < len(data) {
			continue
		}
		if i > start {
			p.Feed(data[start:i])
			start = i
		}
		for _, n := range at[i] {
			p.Gap(n)
		}
	}
	p.Close()
	return rec
}

// sameOutcome reports how two runs differ ("" when they do not).
func sameOutcome(a, b *recorder) string {
	if len(a.reqs) != len(b.reqs) {
		return fmt.Sprintf("%d requests vs %d", len(a.reqs), len(b.reqs))
	}
	for i := range a.reqs {
		if !reflect.DeepEqual(a.reqs[i], b.reqs[i]) {
			return fmt.Sprintf("request %d: %+v vs %+v", i, a.reqs[i], b.reqs[i])
		}
	}
	if !reflect.DeepEqual(a.drops, b.drops) {
		return fmt.Sprintf("drops %v vs %v", a.drops, b.drops)
	}
	if !reflect.DeepEqual(a.kinds, b.kinds) {
		return fmt.Sprintf("kinds %v vs %v", a.kinds, b.kinds)
	}
	return ""
}

// TestSplitInvariantRegression: FuzzParser's finding from issue 12. Whole,
// the malformed "00000000" line used to stop the parser until a Feed
// started with a request line, so the request after it was kept only when
// the bytes happened to be cut right before it. (Since issue 25 "0" is not
// a request-target: the connection is not HTTP, however it is cut.)
func TestSplitInvariantRegression(t *testing.T) {
	data := []byte("A 0 HTTP/1.0\n0:0\n\n00000000\n000A 0 HTTP/1.0\n\n")
	whole := run(data, nil, nil, Limits{})
	if got := whole.targets(); len(got) != 0 || len(whole.drops) != 0 || !reflect.DeepEqual(whole.kinds, []Kind{NotHTTP}) {
		t.Fatalf("whole: requests %q drops %v kinds %v", got, whole.drops, whole.kinds)
	}
	for n := 1; n <= len(data); n++ {
		var cuts []int
		for c := n; c < len(data); c += n {
			cuts = append(cuts, c)
		}
		if d := sameOutcome(whole, run(data, nil, cuts, Limits{})); d != "" {
			t.Errorf("split by %d: %s", n, d)
		}
	}
}

// TestResyncWithinSegment: a gap in one request of a busy keep-alive
// connection costs that request only, although the next request starts in
// the middle of a segment (after the lost request's body, not after an LF).
func TestResyncWithinSegment(t *testing.T) {
	r2 := post("/2", "0123456789ABCDEF")
	s := get("/1") + r2 + post("/3", "ok") + get("/4") + chunked("/5", "abc")
	gapAt := len(get("/1")) + 10 // inside request 2's request line
	// Cut out the 7 lost bytes: the parser only sees the gap.
	data := []byte(s[:gapAt] + s[gapAt+7:])
	rec := run(data, [][2]int{{gapAt, 7}}, nil, Limits{})
	want := []string{"GET /1 ", "POST /3 ok", "GET /4 ", "PUT /5 abc"}
	if got := rec.targets(); !reflect.DeepEqual(got, want) || !reflect.DeepEqual(rec.drops, []DropReason{DropGap}) {
		t.Fatalf("requests %q drops %v, want %q and one gap drop", got, rec.drops, want)
	}
	for _, cut := range []int{gapAt + 3, gapAt + 30, len(data) - 5} {
		if d := sameOutcome(rec, run(data, [][2]int{{gapAt, 7}}, []int{cut}, Limits{})); d != "" {
			t.Errorf("cut at %d: %s", cut, d)
		}
	}
}

// TestResyncTokenBoundary: after a gap, the scan starts a method at a
// token boundary, and a token that ends with a standard method (a body
// ending in upper-case letters, then the next request) starts at that
// method.
func TestResyncTokenBoundary(t *testing.T) {
	rec := &recorder{}
	p := New(rec, Limits{})
	p.Feed([]byte(get("/ok")))
	p.Gap(-1)
	p.Feed([]byte("BAD\r\nXYZGET /glued HTTP/1.1\r\nHost: h\r\n\r\nMKCOL /c HTTP/1.1\r\nHost: h\r\n\r\n"))
	want := []string{"GET /ok ", "GET /glued ", "MKCOL /c "}
	if got := rec.targets(); !reflect.DeepEqual(got, want) || !reflect.DeepEqual(rec.drops, []DropReason{DropGap}) {
		t.Fatalf("requests %q drops %v, want %q and one gap", got, rec.drops, want)
	}
}

// TestResyncOnlyAfterGap: a malformed head seen whole stops the
// connection (no request hidden in it is replayed); after a gap, a
// candidate head that does not parse is part of what the gap lost: it is
// not counted again, and the scan goes on. Each request is counted once,
// parsed or dropped.
func TestResyncOnlyAfterGap(t *testing.T) {
	bad := "GET /bad HTTP/1.1\r\nBad Header\r\n" + post("/hidden", "") + get("/hidden2")
	inSync := feed(t, get("/ok"), bad)
	if got := inSync.targets(); !reflect.DeepEqual(got, []string{"GET /ok "}) || !reflect.DeepEqual(inSync.drops, []DropReason{DropMalformed}) {
		t.Fatalf("in step: requests %q drops %v, want the first and one malformed", got, inSync.drops)
	}
	rec := &recorder{}
	p := New(rec, Limits{})
	p.Feed([]byte(get("/ok")))
	p.Gap(5)
	p.Feed([]byte("junk\r\n" + bad))
	want := []string{"GET /ok ", "POST /hidden ", "GET /hidden2 "}
	if got := rec.targets(); !reflect.DeepEqual(got, want) || !reflect.DeepEqual(rec.drops, []DropReason{DropGap}) {
		t.Fatalf("after a gap: requests %q drops %v, want %q and one gap", got, rec.drops, want)
	}
}

// FuzzParser checks that the outcome (requests, drops and their reasons,
// connection kind) depends only on the bytes and the gaps, not on how the
// bytes are cut into Feeds: whole (cut only at gaps), at random offsets,
// and byte by byte. The seed places up to three gaps and the random cuts.
func FuzzParser(f *testing.F) {
	f.Add([]byte(get("/a")+post("/b", "xyz")+chunked("/c", "12", "345")), uint64(7))
	f.Add(tlsClientHello, uint64(1))
	f.Add([]byte("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n"), uint64(3))
	f.Add([]byte("A 0 HTTP/1.0\n0:0\n\n00000000\n000A 0 HTTP/1.0\n\n"), uint64(0))
	f.Add([]byte(get("/1")+post("/2", "0123456789")+get("/3")), uint64(0x1234_5678_9abc))
	lim := Limits{MaxHeader: 256, MaxBody: 1024}
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		rng := rand.New(rand.NewPCG(seed, seed>>32))
		var gaps [][2]int
		if len(data) > 0 && seed&1 != 0 {
			for range 1 + rng.IntN(3) {
				n := rng.IntN(20) - 1 // -1: unknown length
				gaps = append(gaps, [2]int{rng.IntN(len(data) + 1), n})
			}
		}
		whole := run(data, gaps, nil, lim)
		var cuts, every []int
		for i := 1; i < len(data); i++ {
			every = append(every, i)
			if rng.IntN(8) == 0 {
				cuts = append(cuts, i)
			}
		}
		if d := sameOutcome(whole, run(data, gaps, cuts, lim)); d != "" {
			t.Fatalf("whole vs cut at %v: %s", cuts, d)
		}
		if d := sameOutcome(whole, run(data, gaps, every, lim)); d != "" {
			t.Fatalf("whole vs byte by byte: %s", d)
		}
		for i, r := range whole.reqs {
			if len(r.Body) > lim.MaxBody || r.Size > len(data) {
				t.Fatalf("request %d: body %d size %d of %d input bytes", i, len(r.Body), r.Size, len(data))
			}
		}
	})
}

func TestCountRequestLines(t *testing.T) {
	for s, want := range map[string]int{
		get("/a"): 1,
		get("/a") + post("/b", "xyz") + get("/c"): 3,
		"junk" + get("/a")[:10]:                   0,
		"x GET /a HTTP/1.1\r\n":                   1,
		"GET /a HTTP/1.1":                         0, // cut before its LF
		"ABCGET /a HTTP/1.1\r\n":                  1,
	} {
		if got := CountRequestLines([]byte(s), 1024); got != want {
			t.Errorf("%q: %d request lines, want %d", s, got, want)
		}
	}
}

// TestGapAtStartCounted: bytes of a known extent lost before the first
// byte seen (the connection's SYN was seen, its first segment lost, e.g.
// to IP fragmentation) held a request: it is dropped, reason gap. A gap of
// unknown extent at the start is a capture joined mid-stream: nothing we
// could have seen is lost.
func TestGapAtStartCounted(t *testing.T) {
	rec := &recorder{}
	p := New(rec, Limits{})
	p.Gap(1480)
	p.Feed([]byte(get("/next")))
	if got := rec.targets(); !reflect.DeepEqual(got, []string{"GET /next "}) || !reflect.DeepEqual(rec.drops, []DropReason{DropGap}) {
		t.Fatalf("requests %q drops %v, want /next and one gap", got, rec.drops)
	}
}
