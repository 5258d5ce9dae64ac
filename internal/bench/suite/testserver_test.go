package suite

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestTestServerControl: the test server process's control listener
// reports the numbered requests it received and how many it served, and
// forgets them on reset (what the bench reads around each load).
func TestTestServerControl(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveTestServer(ctx, ln, cln) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	s := &procServer{control: "http://" + cln.Addr().String(), client: &http.Client{Timeout: 5 * time.Second}}
	for _, path := range []string{"/r/7", "/r/7", "/r/9", "/other"} {
		resp, err := http.Get("http://" + ln.Addr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	got, err := s.Received()
	if err != nil {
		t.Fatal(err)
	}
	if got.Served != 4 || len(got.Arrivals) != 2 || got.Arrivals[7].IsZero() || got.Arrivals[9].IsZero() {
		t.Fatalf("received %+v, want 4 served, ids 7 and 9", got)
	}
	if err := s.Reset(); err != nil {
		t.Fatal(err)
	}
	if got, err = s.Received(); err != nil || got.Served != 0 || len(got.Arrivals) != 0 {
		t.Fatalf("after reset: %+v, %v", got, err)
	}
}
