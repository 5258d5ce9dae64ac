package workload

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// ServerConfig is the built-in http-server's flags.
type ServerConfig struct {
	Port   int    // -port (default 80)
	Status int    // -status: the answer's status code (default 200)
	Body   string // -body: the answer's body (default "ok\n")
	// MaxBody is how much of each request body is kept (-max-body, default
	// 1 MiB); the rest is read and counted, not kept.
	MaxBody int
}

// ParseServerArgs reads the http-server's flags.
func ParseServerArgs(args []string) (ServerConfig, error) {
	fs := flag.NewFlagSet("http-server", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c ServerConfig
	fs.IntVar(&c.Port, "port", 80, "TCP port to listen on")
	fs.IntVar(&c.Status, "status", http.StatusOK, "status code of every answer")
	fs.StringVar(&c.Body, "body", "ok\n", "body of every answer")
	fs.IntVar(&c.MaxBody, "max-body", 1<<20, "bytes of each request body kept")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.Port < 1 || c.Port > 65535 {
		return c, fmt.Errorf("-port %d out of range 1-65535", c.Port)
	}
	if c.Status < 100 || c.Status > 999 {
		return c, fmt.Errorf("-status %d is not an HTTP status", c.Status)
	}
	if c.MaxBody < 0 {
		return c, errors.New("-max-body cannot be negative")
	}
	return c, nil
}

// Request is one request a Server received.
type Request struct {
	Time     time.Time `json:"time"`
	Remote   string    `json:"remote"`
	Method   string    `json:"method"`
	Path     string    `json:"path"` // the request URI as sent
	Host     string    `json:"host"`
	Body     string    `json:"body,omitempty"`
	BodySize int64     `json:"bodySize"`
}

// Key is what two servers' requests are compared by: method, path, body.
func (r Request) Key() string { return r.Method + " " + r.Path + "\x00" + r.Body }

// Server is the built-in HTTP server: it answers every request with the
// configured status and body, and logs and records each request.
type Server struct {
	cfg ServerConfig
	log io.Writer
	srv *http.Server

	mu   sync.Mutex
	reqs []Request
	done chan error
}

// NewServer makes a server that writes one line per request to log (may be
// nil).
func NewServer(cfg ServerConfig, log io.Writer) *Server {
	if log == nil {
		log = io.Discard
	}
	s := &Server{cfg: cfg, log: log, done: make(chan error, 1)}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serveHTTP), ReadHeaderTimeout: 10 * time.Second}
	return s
}

// Start serves on ln (made by the caller, in the instance's namespace) until
// Close.
func (s *Server) Start(ln net.Listener) {
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
}

// Close stops the server and waits for it.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, s.srv.Close())
	}
	return errors.Join(err, <-s.done)
}

// Requests returns a copy of the requests received so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, int64(s.cfg.MaxBody)))
	rest, _ := io.Copy(io.Discard, r.Body)
	req := Request{
		Time: time.Now(), Remote: r.RemoteAddr, Method: r.Method, Path: r.RequestURI,
		Host: r.Host, Body: string(body), BodySize: int64(len(body)) + rest,
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	n := len(s.reqs)
	s.mu.Unlock()
	fmt.Fprintf(s.log, "request %d: %s %s host=%s body=%dB from %s\n", n, req.Method, strconv.Quote(req.Path), req.Host, req.BodySize, req.Remote)
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(s.cfg.Status)
	_, _ = io.WriteString(w, s.cfg.Body)
}
