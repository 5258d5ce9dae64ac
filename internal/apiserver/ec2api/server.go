package ec2api

import (
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/apiserver/httpserve"
)

// MaxBodyBytes caps a request body; a larger request is refused with an
// EC2 error before anything past the cap is used.
const MaxBodyBytes = 1 << 20

// Config configures a Server.
type Config struct {
	// Spec is the account's initial state (ids already AWS-shaped, see
	// AssignIDs). It must pass the model's validation.
	Spec cloudmock.Spec
	// Names maps resource ids to their Name tag (AssignIDs returns it).
	Names map[string]string
	// Region (default us-east-1) and AccountID (default 123456789012)
	// appear in ARNs and ownerId.
	Region    string
	AccountID string
	// Apply, when set, receives every accepted state before the server
	// commits it, synchronously; an error keeps the old state and answers
	// the request with InternalError. The state is the one the server
	// publishes (shared with its queries, never changed again): Apply
	// must not change it, nor append to its lists in place (the room past
	// a list's end may hold the next state's elements, cow.go).
	Apply func(cloudmock.Spec) error
	// Export, when set, renders the state as a scenario file for
	// GET /mirrorlab/scenario.
	Export func(cloudmock.Spec, map[string]map[string]string) ([]byte, error)
	// TargetHealth, when set, says whether a load balancer's registered
	// target (by LoadBalancerArn and NetworkInterfaceId) passes the running
	// lab's health checks, for DescribeTargetHealth; without it, registered
	// targets are healthy, as the model starts them.
	TargetHealth func(loadBalancerArn, networkInterfaceID string) (bool, error)
	// ConsoleOutput, when set, returns what an instance's user data has
	// written (the running lab keeps it), for GetConsoleOutput; without
	// it, the output is empty.
	ConsoleOutput func(instanceID string) ([]byte, error)
	// Now is the clock that moves instances through their transient states
	// (pending, stopping, shutting-down) and dates launches (default
	// time.Now); tests step it.
	Now func() time.Time
	// Logger receives one record per request (default: discard).
	Logger *slog.Logger
	// Seed makes new ids and assigned VNIs deterministic; 0 picks a
	// random seed.
	Seed uint64
}

// Server serves the EC2 Query API over the account's state. It is an
// http.Handler; mutations are serialized.
type Server struct {
	cfg      Config
	log      *slog.Logger
	services map[string]*service // by Version

	// cur is the published state: never changed once published (a
	// mutation builds a new one), so a query reads it without a lock and
	// never holds up a change, nor waits for one.
	cur atomic.Pointer[published]

	wmu    sync.Mutex // serializes mutations; guards below
	rng    *rand.Rand
	tokens httpserve.TokenCache[tokenEntry]
	attrs  attrStore    // ELBv2 attributes set by clients (elbv2_attrs.go)
	gone   goneStore    // deleted resources EC2 still describes (gone.go)
	ids    idIndex      // own ids of cur's Spec (idindex.go); nil until needed
	front  frontier     // how far published Specs see into the filters' array (cow.go)
	places filterPlaces // where filters and rules are (cow.go)
	// verify has each change check that it left the published Spec as
	// it was and that its shortcuts answer what the whole model would
	// (verify.go): set by the tests, costly.
	verify bool
	broken error  // the first fault verify found
	kept   []kept // the last published states and their copies (verify.go)
}

// New returns a server over cfg.Spec. Sessions without a VirtualNetworkId
// get one (random, unique in the account) and filter rules without an id
// get one, so that the state is complete: a data plane started for this
// server should start from Spec(), not from cfg.Spec.
func New(cfg Config) (*Server, error) {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.AccountID == "" {
		cfg.AccountID = "123456789012"
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	s := &Server{
		cfg:      cfg,
		log:      log,
		services: map[string]*service{},
		rng:      rand.New(rand.NewPCG(seed, seed^0x6a09e667f3bcc908)),
		tokens:   httpserve.NewTokenCache[tokenEntry](maxTokens),
	}
	spec := cfg.Spec.Clone()
	st := &state{spec: spec, deep: cloudmock.AllLists, tags: newTagStore(), srv: s, inst: instRecords{}}
	s.ids = newIDIndex(&st.spec) // complete draws ids besides these
	st.complete()
	if _, err := cloudmock.New(st.spec); err != nil {
		return nil, fmt.Errorf("initial spec: %w", err)
	}
	for id, name := range cfg.Names {
		st.tags.put(id, map[string]string{"Name": name})
	}
	s.publish(&published{spec: st.spec, tags: st.tags, inst: st.inst})
	s.ids = nil // built from the published state when a change needs it
	s.register()
	return s, nil
}

// published is a state that queries read: immutable once stored in
// Server.cur.
type published struct {
	spec cloudmock.Spec
	tags tagStore
	inst instRecords // instances' presentation (instances_clock.go)
}

// addService adds an API selected by Version, with the actions of the
// tables.
func (s *Server) addService(name, version, namespace string, style protocolStyle, tables ...map[string]actionFunc) {
	svc := &service{name: name, version: version, namespace: namespace, style: style, actions: map[string]actionFunc{}}
	for _, t := range tables {
		maps.Copy(svc.actions, t)
	}
	s.services[version] = svc
}

// Spec returns a deep copy of the current state.
func (s *Server) Spec() cloudmock.Spec {
	return s.cur.Load().spec.Clone()
}

// Tags returns a copy of a resource's tags (nil when it has none).
func (s *Server) Tags(id string) map[string]string {
	return cloneTags(s.cur.Load().tags.get(id))
}

// snapshot returns copies of the state and all tags.
func (s *Server) snapshot() (cloudmock.Spec, map[string]map[string]string) {
	cur := s.cur.Load()
	return cur.spec.Clone(), cur.tags.plain()
}

// call is one request being served.
type call struct {
	s         *Server
	svc       *service
	action    string
	p         *params
	requestID string
	// dry is DryRun=true: the request is checked as the real one would be
	// (a change is made on a copy and validated by the model), then
	// answered DryRunOperation without committing or applying anything.
	dry bool
	// post is a POST request: only those may change the state (a GET is
	// what an <img> on any web page sends).
	post bool
}

// begin ends the decoding of a request: a parameter no accessor read is
// UnknownParameter, and DryRun=true is remembered, for read and mutate to
// answer DryRunOperation once the request has passed every check the real
// one would (EC2 answers a dry run with the error the request would get).
// Actions call it after reading their parameters and before touching the
// state.
func (c *call) begin() error {
	dry := c.p.bool("DryRun")
	if err := c.p.Err(); err != nil {
		return err
	}
	if un := c.p.unread(); len(un) > 0 {
		return errorf(codeUnknownParameter, "The parameter %s is not recognized by %s", un[0], c.action)
	}
	c.dry = dry
	return nil
}

// beginWith reads the last parameter of an action, one that must be
// given and not empty, then begins (c.begin).
func (c *call) beginWith(name string) (string, error) {
	v := c.p.required(name)
	return v, c.begin()
}

// ServeHTTP serves POST (or GET, for queries only) "/" as the EC2 Query
// API, and
// GET /mirrorlab/spec and /mirrorlab/scenario.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := newRequestID()
	var svc *service
	action := ""
	// Last line of defence only: no code path is meant to panic.
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("ec2api: panic serving request", "action", action, "panic", v, "requestId", reqID)
			writeError(w, svc, reqID, internalError("internal error (request %s)", reqID))
		}
	}()
	switch r.URL.Path {
	case "/mirrorlab/spec":
		s.serveSpec(w, r)
		return
	case "/mirrorlab/scenario":
		s.serveScenario(w, r)
		return
	case "/":
	default:
		writeError(w, nil, reqID, &apiError{Status: http.StatusNotFound, Code: codeInvalidAction, Message: fmt.Sprintf("There is no API at path %q; send requests to /", r.URL.Path)})
		return
	}
	res, svc, action, err := s.dispatch(w, r, reqID)
	code := "OK"
	if err != nil {
		ae := asAPIError(err)
		code = ae.Code
		writeError(w, svc, reqID, ae)
	} else if err := writeResult(w, svc, action, reqID, res); err != nil {
		s.log.Error("ec2api: write answer", "action", action, "err", err)
	}
	s.log.Info("ec2api request", "action", action, "code", code, "requestId", reqID, "duration", time.Since(start))
}

// dispatch reads, decodes and runs one API request.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request, reqID string) (any, *service, string, error) {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		return nil, nil, "", &apiError{Status: http.StatusMethodNotAllowed, Code: codeInvalidAction, Message: "Use POST (or GET, for queries) for the Query API."}
	}
	if r.ContentLength > MaxBodyBytes {
		return nil, nil, "", &apiError{Status: http.StatusRequestEntityTooLarge, Code: codeTooLarge, Message: fmt.Sprintf("The request body exceeds %d bytes.", MaxBodyBytes)}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, nil, "", &apiError{Status: http.StatusRequestEntityTooLarge, Code: codeTooLarge, Message: fmt.Sprintf("The request body exceeds %d bytes.", MaxBodyBytes)}
		}
		return nil, nil, "", errorf(codeMalformedQuery, "The request body could not be read: %v", err)
	}
	p, err := decodeParams(string(body), r.URL.RawQuery)
	if err != nil {
		return nil, nil, "", err
	}
	action, _ := p.str("Action")
	version, _ := p.str("Version")
	if action == "" {
		return nil, nil, "", errorf(codeMissingAction, "The request must contain the parameter Action")
	}
	if version == "" {
		return nil, nil, action, errMissing("Version")
	}
	svc := s.services[version]
	if svc == nil {
		return nil, nil, action, errorf(codeNoSuchVersion, "The requested version (%s) of service EC2 does not exist; this server speaks %s", version, s.versions())
	}
	fn := svc.actions[action]
	if fn == nil {
		return nil, svc, action, errorf(codeInvalidAction, "The action %s is not valid for this web service (%s, version %s).", action, svc.name, version)
	}
	c := &call{s: s, svc: svc, action: action, p: p, requestID: reqID, post: r.Method == http.MethodPost}
	res, err := fn(c)
	if err == nil && c.dry {
		// an action that answered without read or mutate
		err = errDryRun()
	}
	return res, svc, action, err
}

// versions lists the API versions served, in ascending order (not the
// map's), so that NoSuchVersion reads the same on every request.
func (s *Server) versions() string {
	var out string
	for _, v := range slices.Sorted(maps.Keys(s.services)) {
		if out != "" {
			out += ", "
		}
		out += v + " (" + s.services[v].name + ")"
	}
	return out
}

// newRequestID returns a random version-4 UUID, as EC2's request ids
// are: two servers started from the same file (same Seed) never hand out
// the same ids, so a client's logs and a support ticket name one request.
func newRequestID() string {
	var b [16]byte
	_, _ = crand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Refuse answers a request refused before it reached the API (by
// httpserve.Guard) as an EC2 error.
func (s *Server) Refuse(w http.ResponseWriter, _ *http.Request, status int, code, msg string) {
	writeError(w, nil, newRequestID(), &apiError{Status: status, Code: code, Message: msg})
}

// specJSON is the body of GET /mirrorlab/spec.
type specJSON struct {
	Spec cloudmock.Spec
	Tags map[string]map[string]string
}

func (s *Server) serveSpec(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "use GET", http.StatusMethodNotAllowed)
		return
	}
	spec, tags := s.snapshot()
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(specJSON{Spec: spec, Tags: tags}); err != nil {
		s.log.Error("ec2api: write spec", "err", err)
	}
}

func (s *Server) serveScenario(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "use GET", http.StatusMethodNotAllowed)
		return
	}
	if s.cfg.Export == nil {
		http.Error(w, "this server has no scenario exporter", http.StatusNotFound)
		return
	}
	b, err := s.cfg.Export(s.snapshot())
	if err == nil {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(b) // the client went away: nothing to do
		return
	}
	http.Error(w, fmt.Sprintf("export: %v", err), http.StatusInternalServerError)
}
