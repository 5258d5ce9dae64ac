package workload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
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
	// Routes override status and body per path (-route, repeatable).
	Routes []Route
	// NoiseField, when set (-noise-field NAME), adds a field NAME to a JSON
	// object body, with a value that changes on every response (the time in
	// nanoseconds): what a timestamp does to a shadow comparison.
	NoiseField string
	// Delay is added before every answer (-delay).
	Delay time.Duration
}

// Route is one -route PATH=STATUS[:BODY]: requests whose path (query
// dropped) equals PATH, or starts with it when PATH ends in "*", get STATUS
// and, when given, BODY.
type Route struct {
	Path   string
	Status int
	Body   string
	// HasBody: BODY was given (it may be empty).
	HasBody bool
}

// parseRoute parses PATH=STATUS[:BODY].
func parseRoute(s string) (Route, error) {
	path, rest, ok := strings.Cut(s, "=")
	if !ok || !strings.HasPrefix(path, "/") {
		return Route{}, fmt.Errorf("-route %q: want PATH=STATUS[:BODY] with PATH starting with /", s)
	}
	st, body, hasBody := strings.Cut(rest, ":")
	code, err := strconv.Atoi(st)
	if err != nil || code < 100 || code > 999 {
		return Route{}, fmt.Errorf("-route %q: status %q is not an HTTP status", s, st)
	}
	return Route{Path: path, Status: code, Body: body, HasBody: hasBody}, nil
}

func (r Route) matches(path string) bool {
	if p, ok := strings.CutSuffix(r.Path, "*"); ok {
		return strings.HasPrefix(path, p)
	}
	return path == r.Path
}

type routeFlag struct{ c *ServerConfig }

func (f routeFlag) String() string { return "" }
func (f routeFlag) Set(s string) error {
	r, err := parseRoute(s)
	if err != nil {
		return err
	}
	f.c.Routes = append(f.c.Routes, r)
	return nil
}

// DefaultServerConfig is the http-server with no flags: port 80, 200 "ok\n".
func DefaultServerConfig() ServerConfig {
	return ServerConfig{Port: 80, Status: http.StatusOK, Body: "ok\n", MaxBody: 1 << 20}
}

// ParseServerArgs reads the http-server's flags.
func ParseServerArgs(args []string) (ServerConfig, error) {
	fs := newFlagSet("http-server")
	c := DefaultServerConfig()
	fs.IntVar(&c.Port, "port", c.Port, "TCP port to listen on")
	fs.IntVar(&c.Status, "status", c.Status, "status code of every answer")
	fs.StringVar(&c.Body, "body", c.Body, "body of every answer")
	fs.IntVar(&c.MaxBody, "max-body", c.MaxBody, "bytes of each request body kept")
	fs.Var(routeFlag{&c}, "route", "PATH=STATUS[:BODY] answer for one path (repeatable)")
	fs.StringVar(&c.NoiseField, "noise-field", "", "add a JSON field with a value that changes per response")
	fs.DurationVar(&c.Delay, "delay", 0, "added before every answer")
	if err := parseFlags(fs, args, &c.Port); err != nil {
		return c, err
	}
	if c.Status < 100 || c.Status > 999 {
		return c, fmt.Errorf("-status %d is not an HTTP status", c.Status)
	}
	if c.MaxBody < 0 {
		return c, errors.New("-max-body cannot be negative")
	}
	if c.Delay < 0 {
		return c, errors.New("-delay cannot be negative")
	}
	if c.NoiseField != "" {
		bodies := []string{c.Body}
		for _, r := range c.Routes {
			if r.HasBody {
				bodies = append(bodies, r.Body)
			}
		}
		for _, b := range bodies {
			if !isJSONObject(b) {
				return c, fmt.Errorf("-noise-field %s: body %q is not a JSON object", c.NoiseField, b)
			}
		}
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

// key is what two servers' requests are compared by: method, path, body.
func (r Request) key() string { return r.Method + " " + r.Path + "\x00" + r.Body }

// idPath starts the path of a numbered request: idPath + decimal id (see
// HTTPLoad.Numbered). A Server records when each id first arrived.
const idPath = "/r/"

// Server is the built-in HTTP server: it answers every request with the
// configured status and body, and logs and records each request (and the
// first arrival of each numbered request's id).
type Server struct {
	cfg ServerConfig
	log io.Writer // nil: no log
	srv *http.Server

	mu       sync.Mutex
	reqs     []Request
	arrivals map[uint64]time.Time
	done     chan error
}

// NewServer makes a server that writes one line per request to log (may be
// nil).
func NewServer(cfg ServerConfig, log io.Writer) *Server {
	s := &Server{cfg: cfg, log: log, arrivals: make(map[uint64]time.Time), done: make(chan error, 1)}
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

// Arrivals returns a copy of the first arrival time of each numbered
// request's id (paths "/r/" + id) received so far.
func (s *Server) Arrivals() map[uint64]time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[uint64]time.Time, len(s.arrivals))
	for id, t := range s.arrivals {
		out[id] = t
	}
	return out
}

// Reset forgets every request received so far (between the bench's loads).
func (s *Server) Reset() {
	s.mu.Lock()
	s.reqs = nil
	clear(s.arrivals)
	s.mu.Unlock()
}

// requestID is the id of a numbered request's URI.
func requestID(uri string) (uint64, bool) {
	rest, ok := strings.CutPrefix(uri, idPath)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseUint(rest, 10, 64)
	return id, err == nil
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	var body []byte
	var rest int64
	if r.Body != http.NoBody {
		body, _ = io.ReadAll(io.LimitReader(r.Body, int64(s.cfg.MaxBody)))
		rest, _ = io.Copy(io.Discard, r.Body)
	}
	req := Request{
		Time: now, Remote: r.RemoteAddr, Method: r.Method, Path: r.RequestURI,
		Host: r.Host, Body: string(body), BodySize: int64(len(body)) + rest,
	}
	id, numbered := requestID(r.RequestURI)
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	n := len(s.reqs)
	if _, seen := s.arrivals[id]; numbered && !seen {
		s.arrivals[id] = now
	}
	s.mu.Unlock()
	if s.log != nil {
		fmt.Fprintf(s.log, "request %d: %s %s host=%s body=%dB from %s\n", n, req.Method, strconv.Quote(req.Path), req.Host, req.BodySize, req.Remote)
	}
	status, out := s.cfg.Status, s.cfg.Body
	path, _, _ := strings.Cut(r.RequestURI, "?")
	for _, rt := range s.cfg.Routes {
		if rt.matches(path) {
			status = rt.Status
			if rt.HasBody {
				out = rt.Body
			}
			break
		}
	}
	if s.cfg.NoiseField != "" {
		out = withField(out, s.cfg.NoiseField, time.Now().UnixNano())
	}
	if s.cfg.Delay > 0 {
		time.Sleep(s.cfg.Delay)
	}
	if isJSONObject(out) || strings.HasPrefix(strings.TrimSpace(out), "[") {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", "text/plain")
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, out)
}

func isJSONObject(s string) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal([]byte(s), &m) == nil && m != nil
}

// withField returns the JSON object body with "name": v added first.
func withField(body, name string, v int64) string {
	i := strings.IndexByte(body, '{')
	if i < 0 {
		return body
	}
	k, _ := json.Marshal(name)
	sep := ","
	if strings.TrimSpace(body[i+1:]) == "}" {
		sep = ""
	}
	return body[:i+1] + string(k) + ":" + strconv.FormatInt(v, 10) + sep + body[i+1:]
}
