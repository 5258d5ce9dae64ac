package httpserve

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// echo reads the whole body, as an API does, and answers ok.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if _, err := io.ReadAll(r.Body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	_, _ = w.Write([]byte("ok"))
})

func startLoopback(t *testing.T, o Options) (*Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := Start(ln, echo, o)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s, ln.Addr().String()
}

// slowClient sends a request's headers and the start of its body, then
// stalls; it returns the connection.
func slowClient(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_, _ = c.Write([]byte("POST / HTTP/1.1\r\nHost: " + addr + "\r\nContent-Length: 100000\r\n\r\nAction=Desc"))
	return c
}

// Slow clients beside a normal one: connections over the cap are refused
// at once (503 or closed, never queued), a client already connected stays
// served over its keep-alive connection, and the slow ones are cut when
// the whole-request timeout ends, after which new clients are served.
func TestSlowClientsBesideANormalOne(t *testing.T) {
	const maxConns, slow = 16, 48
	s, addr := startLoopback(t, Options{MaxConns: maxConns, ReadTimeout: 5 * time.Second, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute})
	normal := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1, IdleConnTimeout: time.Minute}}
	get := func(c *http.Client) (int, error) {
		resp, err := c.Post("http://"+addr+"/", "application/x-www-form-urlencoded", nil)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}
	if code, err := get(normal); code != 200 {
		t.Fatalf("before the slow clients: %d %v", code, err)
	}
	conns := make([]net.Conn, slow)
	for i := range conns {
		conns[i] = slowClient(t, addr)
	}
	for deadline := time.Now().Add(5 * time.Second); s.ln.refused.Load() < slow-(maxConns-1) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if got, want := s.ln.refused.Load(), uint64(slow-(maxConns-1)); got != want {
		t.Fatalf("refused %d connections over the cap, want %d (open %d)", got, want, int(s.ln.open.Load()))
	}
	// A new client is refused at once, not queued until a place frees
	// (it would then be answered 200).
	fresh := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	if code, err := get(fresh); code == 200 {
		t.Fatalf("a new connection over the cap was served (%v): it waited for a place", err)
	}
	// The connected client stays served while the slow ones hold the rest.
	for i := range 10 {
		if code, err := get(normal); code != 200 {
			t.Fatalf("request %d of the connected client during the slow ones: %d %v", i, code, err)
		}
	}
	// The slow ones are cut at the whole-request timeout.
	for i, c := range conns {
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
		_, err := io.Copy(io.Discard, c) // nil at EOF
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("slow client %d still connected after 20s (read timeout 5s)", i)
		}
	}
	for deadline := time.Now().Add(5 * time.Second); int(s.ln.open.Load()) > 1 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if code, err := get(fresh); code != 200 || int(s.ln.open.Load()) > 2 {
		t.Fatalf("after the slow clients: %d %v, %d connections open", code, err, int(s.ln.open.Load()))
	}
}
