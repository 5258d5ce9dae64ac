package ec2api

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// params is a request's decoded form. Every accessor marks the keys it
// reads; unread reports the keys no action asked for, so that a request
// with a misspelt or unsupported parameter is answered UnknownParameter
// instead of being half applied. Keys are single-valued (decode refuses a
// repeated key).
type params struct {
	v    map[string]string
	used map[string]bool
	err  error // the first read that failed (Err)
}

// ignoredParams are protocol and signature parameters that no action reads.
var ignoredParams = []string{"Action", "Version", "AWSAccessKeyId", "SignatureMethod", "SignatureVersion", "Signature", "Timestamp", "Expires", "SecurityToken"}

// decodeParams parses a form-encoded body (and a URL query) into params.
// It never panics; errors are EC2 errors naming the offending key. The
// query is checked before the body and, in each, the keys in sorted
// order (url.Values keeps no request order), as unread reports them: of
// two bad keys the answer names the same one on every retry.
func decodeParams(body, query string) (*params, error) {
	p := &params{v: map[string]string{}, used: map[string]bool{}}
	for _, src := range [2]string{query, body} {
		vals, err := url.ParseQuery(src)
		if err != nil {
			return nil, errorf(codeMalformedQuery, "The request is not valid form data: %v", err)
		}
		for _, k := range slices.Sorted(maps.Keys(vals)) {
			vs := vals[k]
			if _, dup := p.v[k]; dup || len(vs) > 1 {
				return nil, errorf(codeMalformedQuery, "The parameter %s is given more than once", k)
			}
			if k == "" {
				return nil, errorf(codeMalformedQuery, "The request has a parameter with an empty name")
			}
			if err := checkValueLimits(k, vs[0]); err != nil {
				return nil, err
			}
			p.v[k] = vs[0]
		}
	}
	for _, k := range ignoredParams {
		p.used[k] = true
	}
	for k := range p.v {
		if strings.HasPrefix(k, "X-Amz-") {
			p.used[k] = true
		}
	}
	return p, nil
}

// Err returns the first read that failed, nil when every read succeeded.
// As bufio.Scanner's, the error is sticky: a read after a failure returns
// a zero value and neither reads nor marks anything, so that the first
// failure in code order is the request's answer. A handler checks Err
// before it uses what it read (c.begin does, before DryRun and the
// unknown parameters).
func (p *params) Err() error { return p.err }

// ok reports that no read failed so far: a handler checks it before any
// logic on what it read.
func (p *params) ok() bool { return p.err == nil }

// fail keeps err as the request's answer unless a read failed before.
func (p *params) fail(err error) {
	if p.err == nil {
		p.err = err
	}
}

// str returns a parameter's value and whether it was given.
func (p *params) str(name string) (string, bool) {
	if p.err != nil {
		return "", false
	}
	p.used[name] = true
	v, ok := p.v[name]
	return v, ok
}

// optStr returns a parameter's value or nil when it is absent.
func (p *params) optStr(name string) *string {
	if v, ok := p.str(name); ok {
		return &v
	}
	return nil
}

// required returns a parameter that must be present and not empty.
func (p *params) required(name string) string {
	v, ok := p.str(name)
	if p.err == nil && (!ok || v == "") {
		p.fail(errMissing(name))
	}
	return v
}

// int returns an integer parameter, nil when absent.
func (p *params) int(name string) *int {
	v, ok := p.str(name)
	if !ok {
		return nil
	}
	n, isInt := parseInt(v)
	if !isInt {
		p.fail(errInvalid(name, v, "It must be an integer."))
		return nil
	}
	return &n
}

// parseInt parses a 32-bit integer as EC2 does: it refuses " 5" and
// "+7", only an optional minus and digits.
func parseInt(v string) (int, bool) {
	digits := strings.TrimPrefix(v, "-")
	n, err := strconv.ParseInt(v, 10, 32)
	return int(n), digits != "" && strings.Trim(digits, "0123456789") == "" && err == nil
}

// requiredInt returns an integer parameter that must be present.
func (p *params) requiredInt(name string) int {
	n := p.int(name)
	if n == nil {
		p.fail(errMissing(name))
		return 0
	}
	return *n
}

// bool returns a boolean parameter ("true"/"false", any case); absent is
// false.
func (p *params) bool(name string) bool {
	v, ok := p.str(name)
	switch strings.ToLower(v) {
	case "true":
		return true
	case "false":
		return false
	}
	if ok {
		p.fail(errInvalid(name, v, "It must be true or false."))
	}
	return false
}

// indexes returns the N of the keys "prefix.N" or "prefix.N.<rest>", in
// ascending order, marking nothing as used. N must be a positive integer.
func (p *params) indexes(prefix string) []int {
	if p.err != nil {
		return nil
	}
	out, err := p.scanIndexes(prefix)
	if err != nil {
		p.fail(err)
	}
	return out
}

// scanIndexes is indexes without failing the reader: nil and the error
// for a malformed N. Of several malformed keys it names the least in
// sorted order, as unread does, not the map's random first (and without
// sorting every key on each call).
func (p *params) scanIndexes(prefix string) ([]int, error) {
	seen := map[int]bool{}
	bad := ""
	for k := range p.v {
		rest, ok := strings.CutPrefix(k, prefix+".")
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || strconv.Itoa(n) != num {
			if bad == "" || k < bad {
				bad = k
			}
			continue
		}
		seen[n] = true
	}
	if bad != "" {
		return nil, errorf(codeUnknownParameter, "The parameter %s is not recognized (%s.N needs a positive index)", bad, prefix)
	}
	out := make([]int, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Ints(out)
	return out, nil
}

// list returns the values of "name.1", "name.2", … in index order (EC2's
// flattened lists; gaps are allowed).
func (p *params) list(name string) []string {
	var out []string
	for _, n := range p.indexes(name) {
		v, ok := p.str(fmt.Sprintf("%s.%d", name, n))
		if !ok {
			p.fail(errorf(codeUnknownParameter, "The parameter %s.%d.* is not recognized", name, n))
			return nil
		}
		out = append(out, v)
	}
	return out
}

// requiredList is list for a list that must name one item at least
// (MissingParameter name.1 when it names none).
func (p *params) requiredList(name string) []string {
	out := p.list(name)
	if p.err == nil && len(out) == 0 {
		p.fail(errMissing(name + ".1"))
	}
	return out
}

// check keeps err (a check of values read) as the request's answer
// unless a read failed before; it reports whether all is well.
func (p *params) check(err error) bool {
	if err != nil {
		p.fail(err)
	}
	return p.err == nil
}

// Filter is one Filter.N of a Describe request: a name and its values
// (Filter.N.Value.M).
type Filter struct {
	Name   string
	Values []string
}

// filters decodes Filter.N.Name / Filter.N.Value.M.
func (p *params) filters() []Filter {
	idx := p.indexes("Filter")
	if p.err != nil || !p.check(checkFilterCount(len(idx))) {
		return nil
	}
	var out []Filter
	total := 0
	for _, n := range idx {
		pre := fmt.Sprintf("Filter.%d", n)
		name := p.required(pre + ".Name")
		vals := p.list(pre + ".Value")
		total += len(vals)
		if p.err != nil || !p.check(checkFilterValues(pre, vals, total)) {
			return nil
		}
		out = append(out, Filter{Name: name, Values: vals})
	}
	return out
}

// portRange decodes a nested "<name>.FromPort"/"<name>.ToPort"; nil when
// neither is given, MissingParameter when only one is.
func (p *params) portRange(name string) *[2]int {
	return p.intPair(name+".FromPort", name+".ToPort")
}

// intPair reads two integer parameters that go together (a port range's
// ends): nil when neither is given, MissingParameter when only one is.
func (p *params) intPair(first, second string) *[2]int {
	a, b := p.int(first), p.int(second)
	switch {
	case p.err != nil || a == nil && b == nil:
		return nil
	case a == nil:
		p.fail(errMissing(first))
		return nil
	case b == nil:
		p.fail(errMissing(second))
		return nil
	}
	return &[2]int{*a, *b}
}

// removeFields decodes RemoveField.N and checks each against the allowed
// values.
func (p *params) removeFields(allowed ...string) map[string]bool {
	out := map[string]bool{}
	// Read as list does, but keep the index the client sent, so that an
	// error names RemoveField.3 when .3 is the bad one.
	for _, n := range p.indexes("RemoveField") {
		key := fmt.Sprintf("RemoveField.%d", n)
		v, ok := p.str(key)
		if !ok {
			p.fail(errorf(codeUnknownParameter, "The parameter %s.* is not recognized", key))
			return nil
		}
		if !slices.Contains(allowed, v) {
			p.fail(errInvalid(key, v, "It must be one of: "+strings.Join(allowed, ", ")+"."))
			return nil
		}
		out[v] = true
	}
	return out
}

// unread returns the parameters no accessor read, sorted.
func (p *params) unread() []string {
	var out []string
	for k := range p.v {
		if !p.used[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// hash is a canonical form of the parameters except those named, for
// ClientToken idempotency.
func (p *params) canonical(except ...string) string {
	keys := make([]string, 0, len(p.v))
	for k := range p.v {
		if !slices.Contains(except, k) && !slices.Contains(ignoredParams, k) && !strings.HasPrefix(k, "X-Amz-") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(url.QueryEscape(k) + "=" + url.QueryEscape(p.v[k]) + "&")
	}
	return b.String()
}
