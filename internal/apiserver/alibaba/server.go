package alibaba

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/apiserver/httpserve"
)

// maxBodyBytes caps a request body; a larger request is refused with an
// Alibaba error before anything past the cap is used.
const maxBodyBytes = 1 << 20

// defaultSettle is how long a created, changed or deleted resource stays
// Creating, Modifying or Deleting when Config.Settle is 0.
const defaultSettle = 2 * time.Second

// API versions served: VPC (traffic mirroring, VPCs, vSwitches), ECS
// (network interfaces) and SLB (load balancers).
const (
	versionVPC = "2016-04-28"
	versionECS = "2014-05-26"
	versionSLB = "2014-05-15"
)

// Config configures a Server.
type Config struct {
	// Spec is the account's initial state with Alibaba-shaped ids (see
	// AssignIDs). It must pass the model's validation under the alibaba
	// profile.
	Spec cloudmock.Spec
	// Names maps resource ids to their names (AssignIDs returns it).
	Names map[string]string
	// Region (default cn-hangzhou) is the only region served; a request
	// for another one is refused.
	Region string
	// Apply, when set, receives every accepted state (a copy, without the
	// sessions that are not enabled) before the server commits it; an
	// error keeps the old state and answers InternalError.
	Apply func(cloudmock.Spec) error
	// Settle is how long a resource stays in a transitional status after a
	// change (0: DefaultSettle; negative: none).
	Settle time.Duration
	// Now is the clock (default time.Now); tests step it.
	Now func() time.Time
	// ServiceOpen starts with traffic mirroring opened for the account, as
	// if OpenTrafficMirrorService had been called; it is also open when the
	// Spec has filters or sessions.
	ServiceOpen bool
	// Logger receives one record per request (default: discard).
	Logger *slog.Logger
	// Seed makes new ids and VNIs deterministic; 0 picks a random seed.
	Seed uint64
}

// Server serves Alibaba Cloud's RPC-style OpenAPI over the account's
// state. It is an http.Handler; mutations are serialized.
type Server struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	settle  time.Duration
	actions map[string]map[string]actionFunc // version -> action -> handler

	mu     sync.RWMutex // guards below; held for writing by mutations
	acct   account
	rng    *rand.Rand
	tokens httpserve.TokenCache[tokenEntry]

	reqSeq  atomic.Uint64
	reqKey  uint64
	started time.Time // the network's CreationTime
}

// actionFunc serves one operation.
type actionFunc func(c *call) (any, error)

// call is one request being served.
type call struct {
	s         *Server
	action    string
	p         *params
	in        reads // the handler's reads of p
	requestID string
}

// New returns a server over cfg.Spec. Sessions without a VNI get one, so
// a data plane started for this server should start from Applied().
func New(cfg Config) (*Server, error) {
	if cfg.Region == "" {
		cfg.Region = "cn-hangzhou"
	}
	s := &Server{cfg: cfg, log: cfg.Logger, now: cfg.Now, settle: cfg.Settle, tokens: httpserve.NewTokenCache[tokenEntry](10000)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.settle == 0 {
		s.settle = defaultSettle
	} else if s.settle < 0 {
		s.settle = 0
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	s.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	s.reqKey, s.started = seed, s.now()
	a := account{spec: cfg.Spec.Clone(), meta: map[string]meta{}, open: cfg.ServiceOpen}
	s.initialMeta(&a)
	if _, err := cloudmock.New(a.spec); err != nil {
		return nil, fmt.Errorf("initial spec: %w", err)
	}
	s.acct = a
	s.register()
	return s, nil
}

// initialMeta gives the initial resources their names, Created status,
// enabled sessions, VNIs and rule ids.
func (s *Server) initialMeta(a *account) {
	t0 := s.now()
	a.spec.FillVNIs(s.rng)
	for i := range a.spec.TrafficMirrorSessions {
		x := a.spec.TrafficMirrorSessions[i]
		a.meta[x.TrafficMirrorSessionId] = meta{Name: s.cfg.Names[x.TrafficMirrorSessionId], Created: t0, Enabled: true}
	}
	for i := range a.spec.TrafficMirrorFilters {
		f := a.spec.TrafficMirrorFilters[i]
		a.meta[f.TrafficMirrorFilterId] = meta{Name: s.cfg.Names[f.TrafficMirrorFilterId], Created: t0}
		for _, rules := range [2][]cloudmock.TrafficMirrorFilterRule{f.IngressFilterRules, f.EgressFilterRules} {
			for j := range rules {
				if rules[j].TrafficMirrorFilterRuleId == "" {
					rules[j].TrafficMirrorFilterRuleId = s.newID(a, "tmr")
				}
				a.meta[rules[j].TrafficMirrorFilterRuleId] = meta{Created: t0}
			}
		}
	}
	if len(a.spec.TrafficMirrorFilters)+len(a.spec.TrafficMirrorSessions) > 0 {
		a.open = true
	}
}

// Applied returns the state the data plane runs: the Spec without the
// sessions that are not enabled.
func (s *Server) Applied() cloudmock.Spec {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.acct.applied()
}

// Spec returns a copy of the whole state, disabled sessions included.
func (s *Server) Spec() cloudmock.Spec {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.acct.spec.Clone()
}

func (s *Server) register() {
	s.actions = map[string]map[string]actionFunc{
		versionVPC: {
			"OpenTrafficMirrorService":               opOpenService,
			"GetTrafficMirrorServiceStatus":          opServiceStatus,
			"CreateTrafficMirrorFilter":              opCreateFilter,
			"DeleteTrafficMirrorFilter":              opDeleteFilter,
			"ListTrafficMirrorFilters":               opListFilters,
			"UpdateTrafficMirrorFilterAttribute":     opUpdateFilter,
			"CreateTrafficMirrorFilterRules":         opCreateRules,
			"DeleteTrafficMirrorFilterRules":         opDeleteRules,
			"UpdateTrafficMirrorFilterRuleAttribute": opUpdateRule,
			"CreateTrafficMirrorSession":             opCreateSession,
			"DeleteTrafficMirrorSession":             opDeleteSession,
			"ListTrafficMirrorSessions":              opListSessions,
			"UpdateTrafficMirrorSessionAttribute":    opUpdateSession,
			"AddSourcesToTrafficMirrorSession":       opAddSources,
			"RemoveSourcesFromTrafficMirrorSession":  opRemoveSources,
			"DescribeVpcs":                           opDescribeVpcs,
			"DescribeVSwitches":                      opDescribeVSwitches,
		},
		versionECS: {"DescribeNetworkInterfaces": opDescribeENIs},
		versionSLB: {"DescribeLoadBalancers": opDescribeLBs},
	}
}

// ServeHTTP serves GET or POST "/" as Alibaba's RPC-style OpenAPI, and
// GET /mirrorlab/spec.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := s.newRequestID()
	action := ""
	defer func() { // last line of defence: no code path is meant to panic
		if v := recover(); v != nil {
			s.log.Error("alibaba: panic serving request", "action", action, "panic", v, "requestId", reqID)
			writeError(w, reqID, internalError("internal error (request %s)", reqID))
		}
	}()
	if r.URL.Path == "/mirrorlab/spec" {
		s.serveSpec(w, r)
		return
	}
	var res any
	var err error
	if r.URL.Path != "/" {
		err = &apiError{Status: http.StatusNotFound, Code: codeInvalidAction, Message: fmt.Sprintf("There is no API at path %q; send requests to /.", r.URL.Path)}
	} else {
		res, action, err = s.dispatch(w, r, reqID)
	}
	code := "OK"
	if err != nil {
		ae := asAPIError(err)
		code = ae.Code
		writeError(w, reqID, ae)
	} else {
		writeJSON(w, http.StatusOK, withRequestID(res, reqID))
	}
	s.log.Info("alibaba request", "action", action, "code", code, "requestId", reqID, "duration", time.Since(start))
}

// dispatch reads, decodes and runs one request. Action and Version come
// from the parameters (signature v1) or the x-acs-action and x-acs-version
// headers (ACS3, v3). Signatures are not verified.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request, reqID string) (any, string, error) {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		return nil, "", &apiError{Status: http.StatusMethodNotAllowed, Code: "UnsupportedHTTPMethod", Message: "Use GET or POST."}
	}
	tooLarge := &apiError{Status: http.StatusRequestEntityTooLarge, Code: codeTooLarge, Message: fmt.Sprintf("The request body exceeds %d bytes.", maxBodyBytes)}
	if r.ContentLength > maxBodyBytes {
		return nil, "", tooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, "", tooLarge
		}
		return nil, "", errorf(codeInvalidParameter, "The request body could not be read: %v", err)
	}
	if ct := r.Header.Get("Content-Type"); len(body) > 0 && ct != "" && !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return nil, "", errorf(codeInvalidParameter, "The body must be form data (application/x-www-form-urlencoded), not %s.", ct)
	}
	p, err := decodeParams(r.URL.RawQuery, string(body))
	if err != nil {
		return nil, "", err
	}
	action, version := p.v["Action"], p.v["Version"]
	if action == "" {
		action = r.Header.Get("x-acs-action")
	}
	if version == "" {
		version = r.Header.Get("x-acs-version")
	}
	if action == "" {
		return nil, "", errMissing("Action")
	}
	if version == "" {
		return nil, action, errMissing("Version")
	}
	table := s.actions[version]
	if table == nil {
		return nil, action, errorf(codeInvalidVersion, "Specified parameter Version %q is not valid; this server speaks %s (VPC), %s (ECS) and %s (SLB).", version, versionVPC, versionECS, versionSLB)
	}
	fn := table[action]
	if fn == nil {
		return nil, action, &apiError{Status: http.StatusNotFound, Code: codeInvalidAction, Message: fmt.Sprintf("Specified api %s is not found for version %s.", action, version)}
	}
	if region, ok := p.str("RegionId"); ok && region != s.cfg.Region {
		return nil, action, errInvalid("RegionId", region, fmt.Sprintf("This emulated account has the region %s only.", s.cfg.Region))
	}
	res, err := fn(&call{s: s, action: action, p: p, in: reads{p: p}, requestID: reqID})
	return res, action, err
}

// withRequestID adds RequestId to an answer (a struct whose JSON is an
// object).
func withRequestID(res any, reqID string) any {
	b, err := json.Marshal(res)
	m := map[string]any{}
	if err == nil && json.Unmarshal(b, &m) != nil {
		m = map[string]any{}
	}
	m["RequestId"] = reqID
	return m
}

// errorBody is Alibaba's error answer.
type errorBody struct {
	RequestId string `json:"RequestId"`
	HostId    string `json:"HostId"`
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	Recommend string `json:"Recommend"`
}

// hostID is the endpoint the answers name (HostId).
const hostID = "vpc.mirrorlab.local"

func writeError(w http.ResponseWriter, reqID string, ae *apiError) {
	writeJSON(w, ae.Status, errorBody{RequestId: reqID, HostId: hostID, Code: ae.Code, Message: ae.Message,
		Recommend: "mirrorlab emulates this API; see the server's log for request " + reqID})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client went away: nothing to do
}

// newRequestID returns a UUID-shaped id in capitals, as Alibaba's.
func (s *Server) newRequestID() string {
	n := s.reqSeq.Add(1)
	h := splitmix(n + s.reqKey)
	return strings.ToUpper(fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(h>>32), uint16(h>>16), uint16(h)&0xfff, uint16(n>>48)&0xfff, n&0xffffffffffff))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// serveSpec answers the whole state as JSON: the model's Spec and the ids
// of the sessions that are not enabled.
func (s *Server) serveSpec(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "use GET", http.StatusMethodNotAllowed)
		return
	}
	s.mu.RLock()
	spec := s.acct.spec.Clone()
	disabled := []string{}
	for _, x := range s.acct.spec.TrafficMirrorSessions {
		if !s.acct.meta[x.TrafficMirrorSessionId].Enabled {
			disabled = append(disabled, x.TrafficMirrorSessionId)
		}
	}
	s.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"Spec": spec, "DisabledSessions": disabled})
}
