package alibaba

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// tag is a resource tag (Tag.N.Key, Tag.N.Value).
type tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// meta is what Alibaba shows of a resource beyond the model's fields: its
// name, creation time, tags, resource group, a session's Enabled switch,
// and the transitional status (Creating, Modifying) that lasts until Until.
type meta struct {
	Name    string
	Created time.Time
	Status  string
	Until   time.Time
	Enabled bool
	Tags    []tag
	RG      string
}

// status returns the resource's status at now: its transitional status
// until it settles, then Created.
func (m meta) status(now time.Time) string {
	if m.Status != "" && now.Before(m.Until) {
		return m.Status
	}
	return statusCreated
}

// Statuses as ListTrafficMirrorFilters and ListTrafficMirrorSessions give
// them.
const (
	statusCreating  = "Creating"
	statusCreated   = "Created"
	statusModifying = "Modifying"
	statusDeleting  = "Deleting"
)

// withGhosts lists the items of models (itemOf each) and then those of
// the ghosts of kind still shown at now.
func withGhosts[M, T any](a *account, now time.Time, models []M, itemOf func(*account, *M, time.Time) T, kind string, of func(ghost) T) []T {
	var items []T
	for i := range models {
		items = append(items, itemOf(a, &models[i], now))
	}
	for _, g := range a.ghosts {
		if g.Kind == kind && now.Before(g.Until) {
			items = append(items, of(g))
		}
	}
	return items
}

// ghost is a deleted filter, rule or session that is still listed as
// Deleting until it settles (the model no longer has it: the data plane
// stopped using it when the deletion was accepted).
type ghost struct {
	Kind   string // "filter", "rule", "session"
	ID     string
	Filter string // the filter of a rule
	Until  time.Time
	Filt   *filterItem
	Rule   *ruleItem
	Sess   *sessionItem
}

// account is the whole state: the model's Spec plus what only Alibaba's
// API shows. A mutation changes a copy (clone) and commits it whole.
type account struct {
	spec   cloudmock.Spec
	meta   map[string]meta
	ghosts []ghost
	open   bool // OpenTrafficMirrorService was called (or the spec mirrors)
}

func (a *account) clone() account {
	m := make(map[string]meta, len(a.meta))
	for k, v := range a.meta {
		m[k] = v
	}
	return account{spec: a.spec.Clone(), meta: m, ghosts: append([]ghost(nil), a.ghosts...), open: a.open}
}

// prune forgets the ghosts that have settled.
func (a *account) prune(now time.Time) {
	a.ghosts = slicesDeleteFunc(a.ghosts, func(g ghost) bool { return !now.Before(g.Until) })
}

func slicesDeleteFunc[T any](s []T, del func(T) bool) []T {
	out := s[:0]
	for _, x := range s {
		if !del(x) {
			out = append(out, x)
		}
	}
	return out
}

// applied is the Spec the data plane runs: the account's, without the
// sessions that are not enabled.
func (a *account) applied() cloudmock.Spec {
	out := a.spec.Clone()
	out.TrafficMirrorSessions = slicesDeleteFunc(out.TrafficMirrorSessions, func(x *cloudmock.TrafficMirrorSession) bool {
		return !a.meta[x.TrafficMirrorSessionId].Enabled
	})
	return out
}

// read runs a query on the current state under the read lock, unless a
// parameter read failed (c.in), which it answers.
func (c *call) read(fn func(a *account, now time.Time) (any, error)) (any, error) {
	if err := c.in.err; err != nil {
		return nil, err
	}
	c.s.mu.RLock()
	defer c.s.mu.RUnlock()
	return fn(&c.s.acct, c.s.now())
}

// mutate applies one change (unless a parameter read failed: c.in's
// error is the answer, before DryRun): under the mutation lock it copies the
// account, runs change on the copy, has the model validate the result
// (cloudmock.New: the model's rules are the only rules), answers
// DryRunOperation when DryRun=true (so a dry run checks everything a real
// request checks), hands the data plane's Spec to Config.Apply, and only
// then commits. Any error leaves the state as it was. A repeated
// ClientToken with the same parameters answers the first result again;
// with other parameters, IdempotentParameterMismatch.
func (c *call) mutate(change func(a *account, now time.Time) (any, error)) (any, error) {
	dry := c.in.bool("DryRun")
	if err := c.in.err; err != nil {
		return nil, err
	}
	token, _ := c.p.str("ClientToken")
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	key, fp := c.action+"\x00"+token, c.fingerprint()
	if token != "" {
		if prev, ok := s.tokens.Get(key); ok {
			if prev.fingerprint != fp {
				return nil, errorf(codeIdempotentMismatch, "The ClientToken %q was used before with other parameters for %s.", token, c.action)
			}
			return prev.result, nil
		}
	}
	now := s.now()
	a := s.acct.clone()
	a.prune(now)
	res, err := change(&a, now)
	if err != nil {
		return nil, err
	}
	if _, err := cloudmock.New(a.spec); err != nil {
		var ve *cloudmock.ValidationError
		if errors.As(err, &ve) {
			return nil, fromValidation(ve)
		}
		return nil, internalError("validate: %v", err)
	}
	if dry != nil && *dry {
		return nil, errDryRun()
	}
	if s.cfg.Apply != nil {
		if err := s.cfg.Apply(a.applied()); err != nil {
			return nil, internalError("The change was valid but the running lab could not apply it; nothing was changed: %v", err)
		}
	}
	s.acct = a
	if token != "" {
		s.tokens.Put(key, tokenEntry{fingerprint: fp, result: res})
	}
	return res, nil
}

// volatileParams change from one retry of a request to the next.
var volatileParams = map[string]bool{"ClientToken": true, "Signature": true, "SignatureNonce": true, "Timestamp": true,
	"AccessKeyId": true, "SecurityToken": true, "SignatureMethod": true, "SignatureVersion": true, "Format": true}

// fingerprint is the request's parameters less the volatile ones, for
// ClientToken idempotency.
func (c *call) fingerprint() string {
	keys := make([]string, 0, len(c.p.v))
	for k := range c.p.v {
		if !volatileParams[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\x00", k, c.p.v[k])
	}
	return b.String()
}

// tokenEntry is a remembered ClientToken: the request's fingerprint and
// the answer.
type tokenEntry struct {
	fingerprint string
	result      any
}
