package replay

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// replySeen is what the agent takes from one reply: its status, header, body
// (kept and drained), whether the connection is kept, and the bytes left
// for the next reply.
type replySeen struct {
	Err    string
	Status int
	Close  bool
	Fields string
	Kept   string
	Cut    bool
	End    bool
	Next   string
}

// netHTTPSeen is what the agent saw before respReader: http.ReadResponse
// with interim replies skipped, body consumed as replay consumes it.
func netHTTPSeen(br *bufio.Reader, method string, keepBody int, drain int64) replySeen {
	for {
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			return replySeen{Err: err.Error()}
		}
		if resp.StatusCode >= 100 && resp.StatusCode <= 199 && resp.StatusCode != http.StatusSwitchingProtocols {
			continue
		}
		r := &response{status: resp.StatusCode, close: resp.Close, body: resp.Body, std: resp}
		return finishSeen(br, r, fields(resp), keepBody, drain)
	}
}

func finishSeen(br *bufio.Reader, r *response, f interface{}, keepBody int, drain int64) replySeen {
	kept, cut, end := consume(r, true, keepBody, drain)
	rest, _ := io.ReadAll(br)
	return replySeen{Status: r.status, Close: r.close, Fields: fmt.Sprintf("%q", f), Kept: string(kept), Cut: cut, End: end, Next: string(rest)}
}

func agentSeen(br *bufio.Reader, method string, keepBody int, drain int64) (replySeen, bool) {
	var rr respReader
	r, err := rr.read(br, method)
	if err != nil {
		return replySeen{Err: err.Error()}, false
	}
	return finishSeen(br, r, r.fields(), keepBody, drain), r.std == nil
}

// checkResponse fails t unless respReader and net/http see reply the
// same, for GET and HEAD, whole and byte by byte, with small and large
// body limits. It reports whether the fast path read it.
func checkResponse(t *testing.T, reply string) (fast bool) {
	t.Helper()
	for _, method := range []string{"GET", "HEAD"} {
		for _, lim := range []struct {
			keep  int
			drain int64
		}{{64 << 10, 4 << 20}, {3, 5}} {
			for _, slow := range []bool{false, true} {
				src := func() io.Reader {
					if slow {
						return iotest.OneByteReader(strings.NewReader(reply))
					}
					return strings.NewReader(reply)
				}
				want := netHTTPSeen(bufio.NewReaderSize(src(), 4096), method, lim.keep, lim.drain)
				got, f := agentSeen(bufio.NewReaderSize(src(), 4096), method, lim.keep, lim.drain)
				fast = fast || f
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s keep=%d slow=%v reply %q:\nagent   %+v\nnet/http %+v", method, lim.keep, slow, reply, got, want)
				}
			}
		}
	}
	return fast
}

func TestReadResponseMatchesNetHTTP(t *testing.T) {
	cases := []struct {
		reply string
		fast  bool
	}{
		{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nokNEXT", true},
		{"HTTP/1.1 200 OK\r\ncontent-length:  2 \r\nx-b: 1\r\nX-A: 2\r\nx-b:  3\r\n\r\nok", true},
		{"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", true},
		{"HTTP/1.1 200\r\nContent-Length: 5\r\n\r\nok", true},      // body cut short
		{"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nokay", true}, // more than declared
		{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", false},
		{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", false},
		{"HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\nok", false},
		{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", true},
		{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: Keep-Alive\r\n\r\nok", true},
		{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close, te\r\n\r\nok", false},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n3;x=y\r\n!!!\r\n0\r\n\r\nNEXT", true},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T: 1\r\nX-U: 2\r\n\r\nNEXT", true},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T: 1\r\n", true},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n", true},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nok", true},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n", true},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n2\r\nok\r\n0\r\n\r\n", false},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", false},
		{"HTTP/1.1 200 OK\r\nTrailer: X-T\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n\r\n", false},
		{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true},
		{"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\nraw", false},
		{"HTTP/1.1 204 No Content\r\nContent-Length: 2\r\n\r\nok", false},
		{"HTTP/1.1 304 Not Modified\r\nContent-Length: 2\r\n\r\n", false},
		{"HTTP/1.1 200 OK\r\n\r\nclose-delimited", false},
		{"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", false},
		{"HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok", false},
		{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Fold: a\r\n  b\r\n\r\nok", false},
		{"HTTP/1.1 200 OK\nContent-Length: 2\n\nok", false},
		{"HTTP/1.1 200 OK\r\nPragma: no-cache\r\nContent-Length: 2\r\n\r\nok", false},
		{"HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 2\r\n\r\nok", false},
		{"HTTP/1.1 200 OK\r\nX-Ctl: a\x01b\r\nContent-Length: 2\r\n\r\nok", false},
		{"HTTP/1.1 200 OK\r\nX-Utf8: caf\xc3\xa9\r\nContent-Length: 2\r\n\r\nok", true},
		{"HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\nok", false},
		{"HTTP/1.1 20 OK\r\n\r\n", false},
		{"HTTP/1.1  200 OK\r\nContent-Length: 2\r\n\r\nok", false},
		{"HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok", false},
		{"garbage\r\n\r\n", false},
		{"HTTP/1.1 200 OK\r\nContent-Len", false},
		{"", false},
		{"HTTP/1.1 700 Odd\r\nContent-Length: 2\r\n\r\nok", false},
	}
	for _, c := range cases {
		if fast := checkResponse(t, c.reply); fast != c.fast {
			t.Errorf("reply %q: fast path %v, want %v", c.reply, fast, c.fast)
		}
	}
}

// randomReply composes a reply from common and odd parts.
func randomReply(rng *rand.Rand) string {
	pick := func(s ...string) string { return s[rng.IntN(len(s))] }
	var b strings.Builder
	if rng.IntN(8) == 0 {
		b.WriteString(pick("HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 103 Hints\r\nLink: x\r\n\r\n"))
	}
	b.WriteString(pick("HTTP/1.1 ", "HTTP/1.1 ", "HTTP/1.1 ", "HTTP/1.0 ", "HTTP/1.1  ", "HTTP/1.2 "))
	b.WriteString(pick("200", "200", "200", "201", "204", "304", "404", "500", "599", "600", "2x0", "101"))
	b.WriteString(pick(" OK\r\n", "\r\n", " \r\n", " Reason with words\r\n", " r\xff\r\n"))
	body := strings.Repeat("b", rng.IntN(40))
	chunked := rng.IntN(3) == 0
	names := []string{"X-A", "x-a", "Content-Type", "Set-Cookie", "Connection", "Pragma", "Content-Length", "Transfer-Encoding", "Bad Name", "X\x7f"}
	values := []string{"", "v", " v ", "close", "keep-alive", "chunked", "a\tb", "caf\xc3\xa9", "12", "x\x00"}
	for i := rng.IntN(4); i > 0; i-- {
		if rng.IntN(3) > 0 {
			b.WriteString(pick("X-A", "Set-Cookie", "content-type") + ": " + pick("v", " v ", "a\tb", "") + "\r\n")
			continue
		}
		b.WriteString(pick(names...) + ":" + pick(values...) + pick("\r\n", "\n", "\r\n "))
	}
	switch {
	case chunked:
		b.WriteString(pick("Transfer-Encoding: chunked\r\n", "transfer-encoding:CHUNKED\r\n"))
	case rng.IntN(6) > 0:
		n := len(body) + rng.IntN(3) - 1
		b.WriteString(fmt.Sprintf("Content-Length: %d\r\n", max(n, 0)))
	}
	b.WriteString("\r\n")
	if chunked {
		for rest := body; rest != ""; {
			n := min(len(rest), 1+rng.IntN(9))
			fmt.Fprintf(&b, "%x%s\r\n%s\r\n", n, pick("", ";ext=1"), rest[:n])
			rest = rest[n:]
		}
		b.WriteString("0\r\n" + pick("", "X-T: 1\r\n", "bad trailer\r\n") + "\r\n")
	} else {
		b.WriteString(body)
	}
	s := b.String() + pick("", "HTTP/1.1 200 OK\r\n")
	if rng.IntN(5) == 0 {
		s = s[:rng.IntN(len(s)+1)]
	}
	return s
}

func TestReadResponseRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 6))
	fast := 0
	for range 3000 {
		if checkResponse(t, randomReply(rng)) {
			fast++
		}
	}
	t.Logf("%d of 3000 random replies took the fast path", fast)
	if fast < 300 {
		t.Fatalf("only %d of 3000 random replies took the fast path", fast)
	}
}

func FuzzReadResponse(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T: 1\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 500 E\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx"))
	f.Fuzz(func(t *testing.T, reply []byte) {
		checkResponse(t, string(reply))
	})
}
