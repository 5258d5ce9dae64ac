package ec2api

import (
	"cmp"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// state is the account being changed by one mutation: a private copy of
// the Spec and the tags. Changes are made on it; mutate validates and
// commits it as a whole.
type state struct {
	// spec shares the published Spec's lists but those in deep, which
	// are its own copies (cow.go); fw says what it did to the filters
	// when they are shared.
	spec cloudmock.Spec
	deep cloudmock.Lists
	fw   filterWrites
	tags tagStore
	srv  *Server
	inst instRecords // copy on write (instances_clock.go)
	// instOwned says inst is this state's own copy.
	instOwned bool
	// used are the ids newID handed out (nil until the first newID).
	used map[string]bool
}

// newID returns a new AWS-shaped id "<prefix>-" + 17 lowercase hex digits
// that no resource of the published state uses (the server's id index)
// and that this change has not handed out yet.
func (st *state) newID(prefix string) string {
	if st.used == nil {
		st.used = map[string]bool{}
	}
	index := st.srv.idIndex()
	for {
		hi, lo := st.srv.rng.Uint64()&0xf, st.srv.rng.Uint64()
		id := fmt.Sprintf("%s-%x%016x", prefix, hi, lo)
		if _, taken := index[id]; !taken && !st.used[id] {
			st.used[id] = true
			return id
		}
	}
}

// complete gives every session a VNI and every filter rule an id.
func (st *state) complete() {
	st.spec.FillVNIs(st.srv.rng)
	for i := range st.spec.TrafficMirrorFilters {
		f := st.spec.TrafficMirrorFilters[i]
		if f == nil {
			continue // no filter: the model refuses it
		}
		for _, rules := range [2][]cloudmock.TrafficMirrorFilterRule{f.IngressFilterRules, f.EgressFilterRules} {
			for j := range rules {
				if rules[j].TrafficMirrorFilterRuleId == "" {
					rules[j].TrafficMirrorFilterRuleId = st.newID("tmfr")
				}
			}
		}
	}
}

// read runs a query on the published state, without a lock: that state
// is never changed (a mutation publishes a new one), so a long query
// neither waits for a change nor holds one up. fn must not change what it
// is given.
func (c *call) read(fn func(spec *cloudmock.Spec, tags tagStore) (any, error)) (any, error) {
	if c.dry {
		return nil, errDryRun()
	}
	cur := c.s.cur.Load()
	return fn(&cur.spec, cur.tags)
}

// mutate applies one change: under the mutation lock it copies the
// published state (the lists the change may write, cow.go; the others
// are shared), runs change on the copy, has the model validate the
// result (cloudmock.Diff(prev, next).Validate: the model's rules are the only rules), hands it
// to Config.Apply and only then publishes it. Any error leaves the state as it
// was. With a ClientToken (token != ""), a repeated request with the same
// parameters answers the first result again without changing anything,
// and different parameters answer IdempotentParameterMismatch. A dry run
// goes as far as the model's validation and answers DryRunOperation.
func (c *call) mutate(token string, change func(st *state) (any, error)) (any, error) {
	return c.mutateIn(mirrorShared, token, change)
}

// mirrorShared are the lists a change declaring none copies: all but the
// mirror filters, targets and sessions, which only their own actions
// write (the filters through filterW and its siblings, the targets and
// sessions on a copy of the list of pointers, a session modified as a
// copy of its own), so
// that a change elsewhere does not pay for the thousands of them an
// account may hold.
const mirrorShared = cloudmock.AllLists &^ (cloudmock.FiltersList | cloudmock.TargetsList | cloudmock.SessionsList)

// mutateIn is mutate for a change that writes only the lists in lists
// (and the filters through filterW and its siblings, cow.go): the others
// are the published Spec's, shared, so the change costs what it writes.
func (c *call) mutateIn(lists cloudmock.Lists, token string, change func(st *state) (any, error)) (any, error) {
	if !c.post {
		return nil, &apiError{Status: http.StatusMethodNotAllowed, Code: codeMethodNotAllowed,
			Message: fmt.Sprintf("%s changes the state: send it with POST (a GET, which any web page can make a browser send, only queries).", c.action)}
	}
	s := c.s
	s.wmu.Lock()
	defer s.wmu.Unlock()
	// a digest, not the parameters: 10 000 remembered tokens stay small
	key, fingerprint := c.action+"\x00"+token, sha256.Sum256([]byte(c.p.canonical("ClientToken", "DryRun")))
	if token != "" {
		if prev, ok := s.tokens.Get(key); ok {
			if prev.fingerprint != fingerprint {
				return nil, errorf(codeIdempotentMismatch, "The client token %q was used before with different parameters for %s.", token, c.action)
			}
			if c.dry {
				return nil, errDryRun()
			}
			return prev.result, nil
		}
	}
	cur := s.cur.Load()
	if s.verify {
		defer s.checkUnchanged(cur)()
	}
	st := &state{spec: cur.spec.CloneLists(lists), deep: lists, tags: cur.tags.clone(), srv: s, inst: cur.inst}
	res, err := change(st)
	if err != nil {
		return nil, err
	}
	st.syncLoadBalancers()
	// the model's rules alone (the compiled model, cloudmock.New, is the
	// lab's business; New fails only where Validate does), checked on
	// what changed: the published state is valid, and Change.Validate
	// answers what Validate would
	delta := st.diff(&cur.spec)
	if s.verify {
		if err := s.checkDelta(&cur.spec, st, delta); err != nil {
			s.broken = cmp.Or(s.broken, err)
			return nil, internalError("%v", err)
		}
	}
	if err := delta.Validate(); err != nil {
		var ve *cloudmock.ValidationError
		if errors.As(err, &ve) {
			return nil, fromValidation(ve)
		}
		return nil, internalError("validate: %v", err)
	}
	if c.dry {
		return nil, errDryRun()
	}
	if s.cfg.Apply != nil {
		// the state about to be published is never changed again (a
		// change works on a copy), so the lab shares it
		if err := s.cfg.Apply(st.spec); err != nil {
			return nil, internalError("The change was valid but the running lab could not apply it; nothing was changed: %v", err)
		}
	}
	if s.ids != nil {
		s.ids.update(delta)
	}
	s.publish(&published{spec: st.spec, tags: st.tags, inst: st.inst})
	if token != "" {
		s.tokens.Put(key, tokenEntry{fingerprint: fingerprint, result: res})
	}
	return res, nil
}

// syncLoadBalancers has the balancers' targets follow the target groups
// and interfaces, when the change wrote one of those lists (the
// published Spec is in step).
func (st *state) syncLoadBalancers() {
	const feeds = cloudmock.NetworkInterfacesList | cloudmock.TargetGroupsList | cloudmock.LoadBalancersList
	if st.deep&feeds == 0 {
		return
	}
	if missing := feeds &^ st.deep; missing != 0 {
		st.spec, st.deep = st.spec.CloneLists(missing), st.deep|missing
	}
	st.spec.SyncLoadBalancers()
}

// diff is the change from prev, the published Spec it started from:
// where the change shared the filters, only the window it touched is
// compared, and new ids are checked against the server's index.
func (st *state) diff(prev *cloudmock.Spec) *cloudmock.Change {
	var d *cloudmock.Change
	if st.sharedFilters() {
		d = cloudmock.DiffWithin(prev, &st.spec, st.fw.window(len(prev.TrafficMirrorFilters), len(st.spec.TrafficMirrorFilters)))
	} else {
		d = cloudmock.Diff(prev, &st.spec)
	}
	index := st.srv.idIndex()
	return d.WithIDs(func(id string) bool { _, ok := index[id]; return ok })
}

// publish stores the state queries read and the next change starts from.
// The caller holds s.wmu (or is New).
func (s *Server) publish(p *published) {
	s.front.publish(p.spec.TrafficMirrorFilters)
	s.cur.Store(p)
}

// inUse turns the model's "not found" finding on another resource after a
// deletion into EC2's DependencyViolation: the deleted resource is still
// referenced (a filter or target by a session).
func inUse(err error, kind, id string) error {
	var ae *apiError
	if errors.As(err, &ae) && ae.Cause != nil && ae.Cause.ID != id &&
		(ae.Cause.Code == codes.FilterNotFound || ae.Cause.Code == codes.TargetNotFound || ae.Cause.Code == codes.NetworkInterfaceNotFound) {
		return errorf(codeDependencyViolation, "The %s '%s' is in use by %s %s.", kind, id, ae.Cause.Resource, ae.Cause.ID)
	}
	return err
}

// tokenEntry is a remembered ClientToken: the request's parameters and
// the answer.
type tokenEntry struct {
	fingerprint [sha256.Size]byte
	result      any
}

// maxTokens bounds the remembered ClientTokens (the oldest are forgotten).
const maxTokens = 10000
