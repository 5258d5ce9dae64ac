package alibaba

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// maxListIndex bounds N in a repeated parameter (X.N, X.N.Field): the
// largest list any of these operations takes is far smaller, and the bound
// keeps a request from making the server allocate for a huge index.
const maxListIndex = 200

// params is a request's decoded parameters: the URL query and a
// form-encoded body merged (RPC style sends either). A key given twice is
// refused, so that no operation silently picks one of two values.
// Parameters no operation reads (the signature's, OwnerId and the like)
// are ignored, as Alibaba's gateway ignores them.
type params struct {
	v map[string]string
}

// decodeParams parses a URL query and a form body into params. It never
// panics; errors are Alibaba errors naming the offending key. The query
// is checked before the body and, in each, the keys in sorted order
// (url.Values keeps no request order): of two bad keys the answer names
// the same one on every retry.
func decodeParams(query, body string) (*params, error) {
	p := &params{v: map[string]string{}}
	for _, src := range [2]string{query, body} {
		vals, err := url.ParseQuery(src)
		if err != nil {
			return nil, errorf(codeInvalidParameter, "The request is not valid form data: %v", err)
		}
		for _, k := range slices.Sorted(maps.Keys(vals)) {
			vs := vals[k]
			if k == "" {
				return nil, errorf(codeInvalidParameter, "The request has a parameter with an empty name.")
			}
			if _, dup := p.v[k]; dup || len(vs) > 1 {
				return nil, errorf(codeInvalidParameter, "The parameter %s is given more than once.", k)
			}
			p.v[k] = vs[0]
		}
	}
	return p, nil
}

// str returns a parameter and whether it was given.
func (p *params) str(name string) (string, bool) {
	v, ok := p.v[name]
	return v, ok
}

// opt returns a parameter, nil when absent.
func (p *params) opt(name string) *string {
	if v, ok := p.v[name]; ok {
		return &v
	}
	return nil
}

// required returns a parameter that must be given and not empty.
func (p *params) required(name string) (string, error) {
	if v := p.v[name]; v != "" {
		return v, nil
	}
	return "", errMissing(name)
}

// int returns an integer parameter, nil when absent.
func (p *params) int(name string) (*int, error) {
	v, ok := p.v[name]
	if !ok {
		return nil, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return nil, errInvalid(name, v, "It must be an integer.")
	}
	return &n, nil
}

// bool returns a boolean parameter ("true" or "false", any case), nil when
// absent.
func (p *params) bool(name string) (*bool, error) {
	v, ok := p.v[name]
	if !ok {
		return nil, nil
	}
	switch strings.ToLower(v) {
	case "true":
		b := true
		return &b, nil
	case "false":
		b := false
		return &b, nil
	}
	return nil, errInvalid(name, v, "It must be true or false.")
}

// indexed collects the keys "prefix.N" (field "") or "prefix.N.field"
// into one group per N, in the order of N, refusing an N that is not
// 1..maxListIndex. Of several bad keys it names the least in sorted
// order (not the map's random first), so a retry gets the same answer.
func (p *params) indexed(prefix string) ([]indexedObject, error) {
	byN := map[int]map[string]string{}
	bad := ""
	for k, v := range p.v {
		rest, ok := strings.CutPrefix(k, prefix+".")
		if !ok {
			continue
		}
		num, field, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || n > maxListIndex || num != strconv.Itoa(n) {
			if bad == "" || k < bad {
				bad = k
			}
			continue
		}
		if byN[n] == nil {
			byN[n] = map[string]string{}
		}
		byN[n][field] = v
	}
	if bad != "" {
		return nil, errInvalid(bad, p.v[bad], fmt.Sprintf("The index of %s.N must be 1 to %d.", prefix, maxListIndex))
	}
	out := make([]indexedObject, 0, len(byN))
	for _, n := range slices.Sorted(maps.Keys(byN)) {
		out = append(out, indexedObject{n: n, f: byN[n]})
	}
	return out, nil
}

// list returns the values of "prefix.N" in the order of N.
func (p *params) list(prefix string) ([]string, error) {
	groups, err := p.indexed(prefix)
	var out []string
	for _, g := range groups {
		v, ok := g.f[""]
		if !ok || len(g.f) > 1 {
			return nil, errorf(codeInvalidParameter, "The parameter %s.%d must be a plain value.", prefix, g.n)
		}
		out = append(out, v)
	}
	return out, err
}

// requiredList is list of a parameter that needs at least prefix.1.
func (p *params) requiredList(prefix string) ([]string, error) {
	out, err := p.list(prefix)
	if err == nil && len(out) == 0 {
		err = errMissing(prefix + ".1")
	}
	return out, err
}

// objects returns the members "prefix.N.Field" as one map per N, in the
// order of N, with their index.
func (p *params) objects(prefix string) ([]indexedObject, error) {
	groups, err := p.indexed(prefix)
	for _, g := range groups {
		if _, plain := g.f[""]; plain {
			return nil, errorf(codeInvalidParameter, "The parameter %s.%d needs members (%s.%d.Name).", prefix, g.n, prefix, g.n)
		}
	}
	return groups, err
}

// indexedObject is one "X.N.Field" group.
type indexedObject struct {
	n int
	f map[string]string
}

// tags reads "prefix.N.Key"/"prefix.N.Value" pairs (Tag.N or Tags.N).
func (p *params) tags(prefix string) ([]tag, error) {
	objs, err := p.objects(prefix)
	if err != nil {
		return nil, err
	}
	var out []tag
	for _, o := range objs {
		k := o.f["Key"]
		if k == "" {
			return nil, errMissing(fmt.Sprintf("%s.%d.Key", prefix, o.n))
		}
		out = append(out, tag{Key: k, Value: o.f["Value"]})
	}
	return out, nil
}

// reads is a handler's reading of its parameters with the first failure
// kept, as bufio.Scanner keeps its error: a read after a failure answers
// a zero value without reading, and c.read and c.mutate answer the kept
// error before they touch the state (mutate before DryRun), so the first
// bad parameter in code order is the answer. A handler checks ok before
// any logic on what it read.
type reads struct {
	p   *params
	err error
}

// keep runs one read of p unless an earlier one failed, keeping its error.
func keep[T any](r *reads, read func(string) (T, error), name string) T {
	var zero T
	if r.err != nil {
		return zero
	}
	v, err := read(name)
	if err != nil {
		r.err = err
		return zero
	}
	return v
}

func (r *reads) required(name string) string       { return keep(r, r.p.required, name) }
func (r *reads) int(name string) *int              { return keep(r, r.p.int, name) }
func (r *reads) bool(name string) *bool            { return keep(r, r.p.bool, name) }
func (r *reads) list(name string) []string         { return keep(r, r.p.list, name) }
func (r *reads) requiredList(name string) []string { return keep(r, r.p.requiredList, name) }
func (r *reads) tags(prefix string) []tag          { return keep(r, r.p.tags, prefix) }

// ok reports that no read failed so far.
func (r *reads) ok() bool { return r.err == nil }

// fail keeps err (a check of values read) unless a read failed before.
func (r *reads) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}
