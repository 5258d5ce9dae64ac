package httpparse

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// The differential test: the same bytes go to Go's net/http server (raw
// TCP on loopback) and to the parser; the parser must yield exactly the
// requests the server served (method, target, body), in order.

// served is one request as the handler saw it.
type served struct {
	Method, Target, Body string
}

// netHTTP is a net/http server that records, per client connection, the
// requests whose bodies it read whole.
type netHTTP struct {
	srv    *httptest.Server
	mu     sync.Mutex
	byConn map[string][]served
}

func newNetHTTP(t testing.TB) *netHTTP {
	s := &netHTTP{byConn: map[string][]served{}}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.handle))
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	return s
}

func (s *netHTTP) handle(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return // the body did not arrive whole: not served
	}
	if r.Method == "PRI" && r.ProtoMajor == 2 {
		// net/http hands an HTTP/2 preface to the handler for an h2c
		// upgrade; it is not an HTTP/1 request (the parser classifies
		// the connection as not HTTP).
		return
	}
	s.mu.Lock()
	s.byConn[r.RemoteAddr] = append(s.byConn[r.RemoteAddr], served{r.Method, r.RequestURI, string(body)})
	s.mu.Unlock()
	io.WriteString(w, "ok")
}

// serve sends data on a new connection, half-closes it, reads until the
// server closes it (every handler has returned by then) and returns what
// the server served.
func (s *netHTTP) serve(t testing.TB, data []byte) []served {
	t.Helper()
	c, err := net.Dial("tcp", s.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	key := c.LocalAddr().String()
	go func() {
		c.Write(data)
		c.(*net.TCPConn).CloseWrite()
	}()
	if _, err := io.Copy(io.Discard, c); err != nil && isTimeout(err) {
		t.Fatalf("server did not close the connection: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.byConn[key]
	delete(s.byConn, key)
	return out
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// diffLimits are the parser's limits in the differential runs: above what
// the inputs hold, so that only the HTTP rules decide.
var diffLimits = Limits{MaxHeader: 64 << 10, MaxBody: 1 << 20}

// replayed parses data, whole and byte by byte (both must agree), and
// returns the requests the parser emits.
func replayed(t testing.TB, data []byte) []served {
	t.Helper()
	whole := run(data, nil, nil, diffLimits)
	var every []int
	for i := 1; i < len(data); i++ {
		every = append(every, i)
	}
	if d := sameOutcome(whole, run(data, nil, every, diffLimits)); d != "" {
		t.Fatalf("%q: whole vs byte by byte: %s", data, d)
	}
	var out []served
	for _, r := range whole.reqs {
		if r.Method == "OPTIONS" && r.Target == "*" {
			// net/http answers "OPTIONS *" itself: the handler that
			// records what was served never sees it.
			continue
		}
		out = append(out, served{r.Method, r.Target, string(r.Body)})
	}
	return out
}

func hidden(i int) string { return fmt.Sprintf("GET /hidden-%d HTTP/1.1\r\nHost: h\r\n\r\n", i) }

// smuggle is a request whose head carries bad, then a Content-Length that
// makes hid its body: a server that refuses the head serves neither.
func smuggle(bad, hid string) string {
	return fmt.Sprintf("POST /smuggle HTTP/1.1\r\nHost: h\r\n%sContent-Length: %d\r\n\r\n%s", bad, len(hid), hid)
}

// smugglingCorpus: shapes of request smuggling and of borderline syntax,
// each after a valid request and followed by more requests.
func smugglingCorpus() map[string]string {
	h0 := hidden(0)
	first := get("/first")
	after := get("/after")
	te := "0\r\n\r\n"
	c := map[string]string{
		"CL.CL differ":          fmt.Sprintf("POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nContent-Length: %d\r\n\r\n%s", len(h0), h0),
		"CL.CL same":            "POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc" + after,
		"CL list":               smuggle("", "") + "POST /l HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\nabc" + after,
		"CL plus":               smuggle("Content-Length: +0\r\n", h0),
		"CL leading zeros":      "POST /z HTTP/1.1\r\nHost: h\r\nContent-Length: 003\r\n\r\nabc" + after,
		"CL negative":           "POST /n HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n" + h0,
		"CL hex":                "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 0x3\r\n\r\nabc" + h0,
		"CL empty":              "POST /e HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n" + h0,
		"CL space before colon": smuggle("Content-Length : 0\r\n", h0),
		"TE space before colon": smuggle("Transfer-Encoding : chunked\r\n", te+h0),
		"CL+TE":                 fmt.Sprintf("POST /t HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n%s%s", len(te+h0), te, h0),
		"TE identity":           smuggle("Transfer-Encoding: identity\r\n", h0),
		"TE chunked,identity":   smuggle("Transfer-Encoding: chunked, identity\r\n", te+h0),
		"TE twice":              smuggle("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", te+h0),
		"TE xchunked":           smuggle("Transfer-Encoding: xchunked\r\n", h0),
		"TE vtab":               smuggle("Transfer-Encoding: \x0bchunked\r\n", te+h0),
		"TE kelvin":             smuggle("Transfer-Encoding: chun\u212aed\r\n", te+h0),
		"TE HTTP/1.0":           fmt.Sprintf("POST /o HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\nContent-Length: %d\r\n\r\n%s", len(te), te) + h0,
		"TE obs-fold":           "POST /f HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" + after,
		"obs-fold":              "POST /f HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n  b\r\n\tc\r\nContent-Length: 2\r\n\r\nok" + after,
		"obs-fold first line":   "GET /f HTTP/1.1\r\n X: a\r\nHost: h\r\n\r\n" + after,
		"obs-fold host":         "GET /f HTTP/1.1\r\nHost: h\r\n x\r\n\r\n" + after,
		"bare LF":               "POST /lf HTTP/1.1\nHost: h\nContent-Length: 2\n\nok" + after,
		"bare CR":               "GET /cr HTTP/1.1\rHost: h\r\n\r\n" + after,
		"CR in value":           smuggle("X: a\rb\r\n", h0),
		"NUL in value":          smuggle("X: a\x00b\r\n", h0),
		"NUL in name":           smuggle("X\x00Y: a\r\n", h0),
		"DEL in value":          smuggle("X: a\x7f\r\n", h0),
		"obs-text value":        "GET /o HTTP/1.1\r\nHost: h\r\nX: caf\xc3\xa9\r\n\r\n" + after,
		"tab before colon":      smuggle("Content-Length\t: 0\r\n", h0),
		"empty name":            smuggle(": x\r\n", h0),
		"no colon":              smuggle("NoColon\r\n", h0),
		"HTTP/1.2":              "GET /v HTTP/1.2\r\nHost: h\r\n\r\n" + after,
		"HTTP/2.0":              "GET /v HTTP/2.0\r\nHost: h\r\n\r\n" + h0,
		"HTTP/0.9":              "GET /v HTTP/0.9\r\nHost: h\r\n\r\n" + h0,
		"http/1.1":              "GET /v http/1.1\r\nHost: h\r\n\r\n" + h0,
		"HTTP/1.10":             "GET /v HTTP/1.10\r\nHost: h\r\n\r\n" + h0,
		"double space":          "GET  /v HTTP/1.1\r\nHost: h\r\n\r\n" + h0,
		"trailing space":        "GET /v HTTP/1.1 \r\nHost: h\r\n\r\n" + h0,
		"tab separator":         "GET\t/v HTTP/1.1\r\nHost: h\r\n\r\n" + h0,
		"lower-case method":     "get /m HTTP/1.1\r\nHost: h\r\n\r\n" + after,
		"odd method":            "M-SEARCH* /m HTTP/1.1\r\nHost: h\r\n\r\n" + after,
		"bad method":            "G@T /m HTTP/1.1\r\nHost: h\r\n\r\n" + h0,
		"bad escape":            "GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n" + h0,
		"escape in query":       "GET /q?%zz HTTP/1.1\r\nHost: h\r\n\r\n" + after,
		"absolute target":       "GET http://h/abs HTTP/1.1\r\nHost: h\r\n\r\n" + after,
		"relative target":       "GET rel HTTP/1.1\r\nHost: h\r\n\r\n" + h0,
		"asterisk":              "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n" + after,
		"CONNECT":               "CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n" + after,
		"no host":               "GET /nohost HTTP/1.1\r\n\r\n" + h0,
		"two hosts":             "GET /2h HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" + h0,
		"bad host":              "GET /bh HTTP/1.1\r\nHost: a b\r\n\r\n" + h0,
		"HTTP/1.0 no host":      "GET /10 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + after,
		"HTTP/1.0 closes":       "GET /10 HTTP/1.0\r\n\r\n" + h0,
		"connection close":      "GET /c HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, close\r\n\r\n" + h0,
		"expect 100":            "POST /e HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok" + after,
		"expect other":          "POST /e HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\nok" + h0,
		"CRLF after GET":        "\r\n" + h0,
		"CRLF after POST":       post("/p", "ok") + "\r\n\r\n" + after,
		"5 CRLF after POST":     post("/p", "ok") + "\r\n\r\n\r\n" + h0,
		"chunk bare LF":         "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n" + h0,
		"chunk CR inside":       "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r;x\r\nabc\r\n0\r\n\r\n" + h0,
		"chunk ext space":       "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3 ;x\r\nabc\r\n0\r\n\r\n" + h0,
		"chunk ext":             "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y \r\nabc\r\n0\r\n\r\n" + after,
		"chunk overflow":        "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000003\r\nabc\r\n0\r\n\r\n" + h0,
		"chunk bad end":         "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n" + h0,
		"chunk trailer":         "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n" + after,
		"trailer bare LF":       "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\n\n" + after,
		"Trailer names CL":      "POST /c HTTP/1.1\r\nHost: h\r\nTrailer: content-length\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + h0,
		"pipelined":             post("/p1", "one") + chunkedReq("/p2", "two", "2") + get("/p3") + post("/p4", ""),
		"body too short":        "POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: 99\r\n\r\n" + h0,
		"hidden in body":        post("/b", h0) + after,
	}
	for k, v := range c {
		c[k] = first + v
	}
	return c
}

func chunkedReq(path string, parts ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "PUT %s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", path)
	for _, p := range parts {
		fmt.Fprintf(&b, "%x\r\n%s\r\n", len(p), p)
	}
	b.WriteString("0\r\n\r\n")
	return b.String()
}

func TestDifferentialNetHTTP(t *testing.T) {
	s := newNetHTTP(t)
	corpus := smugglingCorpus()
	if len(corpus) < 20 {
		t.Fatalf("corpus of %d shapes", len(corpus))
	}
	for name, data := range corpus {
		want := s.serve(t, []byte(data))
		got := replayed(t, []byte(data))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %q\nnet/http served %q\nparser replays %q", name, data, want, got)
		}
	}
}

// smugglingShapes are eight requests that production refuses with 4xx or
// 5xx, each carrying a hidden request in what would be its body.
func smugglingShapes() []string {
	var out []string
	for i, bad := range []string{
		"Content-Length: 0\r\n",             // two different Content-Length values
		"Content-Length: +0\r\n",            // a sign
		"Content-Length : 0\r\n",            // space before the colon
		"X-Nul: a\x00b\r\n",                 // NUL in a value
		"Transfer-Encoding: chunked, x\r\n", // a coding net/http does not implement
		"Transfer-Encoding: identity\r\n",
		"X\x00Y: a\r\n", // NUL in a name
	} {
		out = append(out, smuggle(bad, hidden(i)))
	}
	h := hidden(7)
	out = append(out, fmt.Sprintf("POST /smuggle HTTP/1.2.3\r\nHost: h\r\nContent-Length: %d\r\n\r\n%s", len(h), h)) // bad version
	return out
}

// TestSmugglingReproducer: of eight hidden requests, count those net/http
// serves and those the parser replays (the figures of issue 25).
func TestSmugglingReproducer(t *testing.T) {
	s := newNetHTTP(t)
	var byServer, byParser int
	shapes := smugglingShapes()
	for _, data := range shapes {
		data = get("/first") + data
		for _, r := range s.serve(t, []byte(data)) {
			if strings.HasPrefix(r.Target, "/hidden-") {
				byServer++
			}
		}
		for _, r := range replayed(t, []byte(data)) {
			if strings.HasPrefix(r.Target, "/hidden-") {
				byParser++
			}
		}
	}
	t.Logf("net/http served %d of %d hidden requests, the agent replayed %d", byServer, len(shapes), byParser)
	if byParser != byServer {
		t.Fatalf("net/http served %d of %d hidden requests, the agent replayed %d", byServer, len(shapes), byParser)
	}
}

// maxDiffInput bounds the fuzzer's inputs: within net/http's buffer
// (chunk lines, trailers) and far below both sides' header limits.
const maxDiffInput = 4096

// FuzzDifferentialNetHTTP sends the fuzzer's bytes to net/http and to the
// parser: the parser must replay exactly what the server served.
func FuzzDifferentialNetHTTP(f *testing.F) {
	for _, data := range smugglingCorpus() {
		f.Add([]byte(data))
	}
	for _, data := range smugglingShapes() {
		f.Add([]byte(data))
	}
	s := newNetHTTP(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxDiffInput {
			return
		}
		want := s.serve(t, data)
		if got := replayed(t, data); !reflect.DeepEqual(got, want) {
			t.Fatalf("%q\nnet/http served %q\nparser replays %q", data, want, got)
		}
	})
}
