package httpload

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// PathPrefix starts every generated request's path: /r/<id>.
const PathPrefix = "/r/"

// Server is an HTTP server that answers 200 with a small body and records
// the arrival time of every request id.
type Server struct {
	srv    *http.Server
	ln     net.Listener
	mu     sync.Mutex
	seen   map[uint64]time.Time
	total  uint64
	served chan error
}

// Serve starts serving on ln (made by the caller, e.g. inside a namespace).
func Serve(ln net.Listener) *Server {
	s := &Server{ln: ln, seen: make(map[uint64]time.Time), served: make(chan error, 1)}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { s.served <- s.srv.Serve(ln) }()
	return s
}

// Addr is the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// ServeHTTP records the request and answers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	id, ok := parseID(r.URL.Path)
	s.mu.Lock()
	s.total++
	if ok {
		if _, dup := s.seen[id]; !dup {
			s.seen[id] = now
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte("ok\n"))
}

func parseID(path string) (uint64, bool) {
	rest, ok := strings.CutPrefix(path, PathPrefix)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseUint(rest, 10, 64)
	return id, err == nil
}

// Reset forgets every request seen so far.
func (s *Server) Reset() {
	s.mu.Lock()
	clear(s.seen)
	s.total = 0
	s.mu.Unlock()
}

// Total is how many requests arrived (with or without an id).
func (s *Server) Total() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Arrivals returns a copy of the arrival time per request id.
func (s *Server) Arrivals() map[uint64]time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[uint64]time.Time, len(s.seen))
	for k, v := range s.seen {
		out[k] = v
	}
	return out
}

// Close stops the server.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if serr := <-s.served; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("close test server: %w", err)
	}
	return nil
}

// Replay summarises how a replay destination (dst) matched production
// (prod): completeness and lag quantiles over the ids production served.
type Replay struct {
	Served, Replayed uint64
	Completeness     float64
	LagP50, LagP99   time.Duration
}

// CompareArrivals computes the Replay figures.
func CompareArrivals(prod, dst map[uint64]time.Time) Replay {
	r := Replay{Served: uint64(len(prod))}
	lags := make([]time.Duration, 0, len(prod))
	for id, t0 := range prod {
		if t1, ok := dst[id]; ok {
			r.Replayed++
			lags = append(lags, t1.Sub(t0))
		}
	}
	if r.Served > 0 {
		r.Completeness = float64(r.Replayed) / float64(r.Served)
	}
	if len(lags) > 0 {
		slices.Sort(lags)
		r.LagP50 = quantile(lags, 0.50)
		r.LagP99 = quantile(lags, 0.99)
	}
	return r
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted)-1) + 0.5)
	return sorted[min(i, len(sorted)-1)]
}
