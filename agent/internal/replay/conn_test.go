package replay

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
	"github.com/mirrorlab/mirrorlab/agent/internal/stream"
)

// connServer counts the connections its requests came on.
type connServer struct {
	*httptest.Server
	mu      sync.Mutex
	remotes map[string]int
}

func newConnServer(t *testing.T, tls bool, h http.HandlerFunc) *connServer {
	s := &connServer{remotes: map[string]int{}}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.remotes[r.RemoteAddr]++
		s.mu.Unlock()
		h(w, r)
	})
	if tls {
		s.Server = httptest.NewTLSServer(handler)
	} else {
		s.Server = httptest.NewServer(handler)
	}
	t.Cleanup(s.Close)
	return s
}

func (s *connServer) conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.remotes)
}

// replayAll submits n requests from one client connection (so one worker
// replays them, in order) and drains.
func replayAll(t *testing.T, cfg Config, n int, method string) (*Replayer, []*Result) {
	t.Helper()
	var mu sync.Mutex
	var results []*Result
	cfg.OnResult = func(_ stream.Conn, _ *httpparse.Request, res *Result) {
		mu.Lock()
		results = append(results, res)
		mu.Unlock()
	}
	rp, _ := newReplayer(t, cfg)
	for i := 0; i < n; i++ {
		rp.Submit(conn(1, "192.0.2.1:1000"), &httpparse.Request{Method: method, Target: fmt.Sprintf("/%d", i)})
	}
	if err := rp.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	return rp, results
}

func wantAll(t *testing.T, results []*Result, n, status int, body string) {
	t.Helper()
	if len(results) != n {
		t.Fatalf("%d results, want %d", len(results), n)
	}
	for i, r := range results {
		if r.Dropped != "" || r.Status != status || string(r.Body) != body {
			t.Fatalf("result %d: %+v, want status %d body %q", i, r, status, body)
		}
	}
}

// TestConnectionKeptAcrossRequests: one worker's requests go over one
// connection, kept alive.
func TestConnectionKeptAcrossRequests(t *testing.T) {
	srv := newConnServer(t, false, func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	_, res := replayAll(t, Config{Destination: srv.URL, Workers: 1}, 20, "GET")
	wantAll(t, res, 20, 200, "ok")
	if n := srv.conns(); n != 1 {
		t.Fatalf("%d connections for 20 requests, want 1", n)
	}
}

// TestConnectionCloseAndLongBodies: a response that closes its connection
// or whose body is longer than the drain limit is not followed by a
// request on the same connection; the next request gets a new one.
func TestConnectionCloseAndLongBodies(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    http.HandlerFunc
		body string
	}{
		{"connection close", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Connection", "close")
			io.WriteString(w, "bye")
		}, "bye"},
		{"body over the drain limit", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, strings.Repeat("x", 100)) }, strings.Repeat("x", 10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newConnServer(t, false, tc.h)
			_, res := replayAll(t, Config{Destination: srv.URL, Workers: 1, KeepBody: 10, MaxResponseDrain: 50}, 5, "GET")
			wantAll(t, res, 5, 200, tc.body)
			if n := srv.conns(); n != 5 {
				t.Fatalf("%d connections for 5 requests, want 5", n)
			}
		})
	}
}

// TestTLSDestination: an https destination is replayed to over TLS.
func TestTLSDestination(t *testing.T) {
	srv := newConnServer(t, true, func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			w.WriteHeader(http.StatusBadRequest)
		}
		io.WriteString(w, "secure")
	})
	_, res := replayAll(t, Config{Destination: srv.URL, Workers: 1, InsecureSkipVerify: true}, 3, "GET")
	wantAll(t, res, 3, 200, "secure")
	if n := srv.conns(); n != 1 {
		t.Fatalf("%d connections, want 1", n)
	}
}

// TestHeadAndInterimResponses: a HEAD response's Content-Length announces
// no body, and interim 1xx answers are skipped.
func TestHeadAndInterimResponses(t *testing.T) {
	srv := newConnServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Set("Content-Length", "5")
		if r.Method != http.MethodHead {
			io.WriteString(w, "hello")
		}
	})
	_, res := replayAll(t, Config{Destination: srv.URL, Workers: 1}, 3, "HEAD")
	wantAll(t, res, 3, 200, "")
	_, res = replayAll(t, Config{Destination: srv.URL, Workers: 1}, 3, "GET")
	wantAll(t, res, 3, 200, "hello")
}

// rawServer answers each connection's requests itself: answer is called
// with the connection's number and the request's on it, and says what to
// write and whether to close the connection then.
func rawServer(t *testing.T, answer func(conn, req int) (string, bool)) (url string, conns func() int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	n := 0
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			n++
			id := n
			mu.Unlock()
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for i := 1; ; i++ {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					out, closeIt := answer(id, i)
					if _, err := io.WriteString(c, out); err != nil || closeIt {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return "http://" + ln.Addr().String(), func() int { mu.Lock(); defer mu.Unlock(); return n }
}

const okResponse = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

// TestIdleCloseRetried: when the server closes a kept connection before
// the next request's response (as an idle timeout does), a GET is sent
// again on a new connection and nothing is lost.
func TestIdleCloseRetried(t *testing.T) {
	// Each connection answers one request and closes without saying so.
	url, conns := rawServer(t, func(_, req int) (string, bool) { return okResponse, true })
	rp, res := replayAll(t, Config{Destination: url, Workers: 1, Timeout: 2 * time.Second}, 4, "GET")
	wantAll(t, res, 4, 200, "ok")
	if n := conns(); n != 4 {
		t.Fatalf("%d connections, want 4", n)
	}
	if f := rp.cfg.Counters.Snapshot().Requests.Failed; f != 0 {
		t.Fatalf("%d failed", f)
	}
}

// TestNoRetryOfPOSTAfterSending: a POST whose connection closes without
// a response after it was sent fails (it may have been applied), as
// net/http's Transport decides.
func TestNoRetryOfPOSTAfterSending(t *testing.T) {
	url, conns := rawServer(t, func(_, req int) (string, bool) {
		if req == 1 {
			return okResponse, false
		}
		return "", true // the second request on a connection: closed unanswered
	})
	rp, res := replayAll(t, Config{Destination: url, Workers: 1, Timeout: 2 * time.Second}, 2, "POST")
	if len(res) != 2 || res[0].Status != 200 || res[1].Dropped != "failed" {
		t.Fatalf("results %+v %+v, want the second failed", res[0], res[1])
	}
	if n := conns(); n != 1 {
		t.Fatalf("%d connections, want 1 (no second try)", n)
	}
	if f := rp.cfg.Counters.Snapshot().Requests.Failed; f != 1 {
		t.Fatalf("%d failed, want 1", f)
	}
}

func TestDestAddr(t *testing.T) {
	for _, tc := range []struct{ scheme, host, want string }{
		{"http", "10.0.0.1", "10.0.0.1:80"},
		{"https", "test.example", "test.example:443"},
		{"http", "10.0.0.1:8080", "10.0.0.1:8080"},
		{"http", "[2001:db8::1]", "[2001:db8::1]:80"},
		{"https", "[2001:db8::1]:8443", "[2001:db8::1]:8443"},
	} {
		if got := destAddr(tc.scheme, tc.host); got != tc.want {
			t.Errorf("destAddr(%s, %s) = %s, want %s", tc.scheme, tc.host, got, tc.want)
		}
	}
}
