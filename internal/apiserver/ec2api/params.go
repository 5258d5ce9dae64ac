package ec2api

import (
	"fmt"
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
}

// ignoredParams are protocol and signature parameters that no action reads.
var ignoredParams = []string{"Action", "Version", "AWSAccessKeyId", "SignatureMethod", "SignatureVersion", "Signature", "Timestamp", "Expires", "SecurityToken"}

// decodeParams parses a form-encoded body (and a URL query) into params.
// It never panics; errors are EC2 errors naming the offending key.
func decodeParams(body, query string) (*params, error) {
	p := &params{v: map[string]string{}, used: map[string]bool{}}
	for _, src := range [2]string{query, body} {
		vals, err := url.ParseQuery(src)
		if err != nil {
			return nil, errorf(codeMalformedQuery, "The request is not valid form data: %v", err)
		}
		for k, vs := range vals {
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

// str returns a parameter's value and whether it was given.
func (p *params) str(name string) (string, bool) {
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
func (p *params) required(name string) (string, error) {
	v, ok := p.str(name)
	if !ok || v == "" {
		return "", errMissing(name)
	}
	return v, nil
}

// int returns an integer parameter, nil when absent.
func (p *params) int(name string) (*int, error) {
	v, ok := p.str(name)
	if !ok {
		return nil, nil
	}
	// EC2 refuses " 5" and "+7": only an optional minus and digits.
	digits := strings.TrimPrefix(v, "-")
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return nil, errInvalid(name, v, "It must be an integer.")
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return nil, errInvalid(name, v, "It must be an integer.")
	}
	i := int(n)
	return &i, nil
}

// requiredInt returns an integer parameter that must be present.
func (p *params) requiredInt(name string) (int, error) {
	n, err := p.int(name)
	if err != nil {
		return 0, err
	}
	if n == nil {
		return 0, errMissing(name)
	}
	return *n, nil
}

// bool returns a boolean parameter ("true"/"false", any case); absent is
// false.
func (p *params) bool(name string) (bool, error) {
	v, ok := p.str(name)
	if !ok {
		return false, nil
	}
	switch strings.ToLower(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errInvalid(name, v, "It must be true or false.")
}

// indexes returns the N of the keys "prefix.N" or "prefix.N.<rest>", in
// ascending order, marking nothing as used. N must be a positive integer.
func (p *params) indexes(prefix string) ([]int, error) {
	seen := map[int]bool{}
	for k := range p.v {
		rest, ok := strings.CutPrefix(k, prefix+".")
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || strconv.Itoa(n) != num {
			return nil, errorf(codeUnknownParameter, "The parameter %s is not recognized (%s.N needs a positive index)", k, prefix)
		}
		seen[n] = true
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
func (p *params) list(name string) ([]string, error) {
	idx, err := p.indexes(name)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range idx {
		k := fmt.Sprintf("%s.%d", name, n)
		v, ok := p.str(k)
		if !ok {
			return nil, errorf(codeUnknownParameter, "The parameter %s.%d.* is not recognized", name, n)
		}
		out = append(out, v)
	}
	return out, nil
}

// requiredList is list for a list that must name one item at least
// (MissingParameter name.1 when it names none).
func (p *params) requiredList(name string) ([]string, error) {
	out, err := p.list(name)
	if err == nil && len(out) == 0 {
		err = errMissing(name + ".1")
	}
	return out, err
}

// Filter is one Filter.N of a Describe request: a name and its values
// (Filter.N.Value.M).
type Filter struct {
	Name   string
	Values []string
}

// filters decodes Filter.N.Name / Filter.N.Value.M.
func (p *params) filters() ([]Filter, error) {
	idx, err := p.indexes("Filter")
	if err != nil {
		return nil, err
	}
	if err := checkFilterCount(len(idx)); err != nil {
		return nil, err
	}
	var out []Filter
	total := 0
	for _, n := range idx {
		pre := fmt.Sprintf("Filter.%d", n)
		name, err := p.required(pre + ".Name")
		if err != nil {
			return nil, err
		}
		vals, err := p.list(pre + ".Value")
		if err != nil {
			return nil, err
		}
		total += len(vals)
		if err := checkFilterValues(pre, vals, total); err != nil {
			return nil, err
		}
		out = append(out, Filter{Name: name, Values: vals})
	}
	return out, nil
}

// portRange decodes a nested "<name>.FromPort"/"<name>.ToPort"; nil when
// neither is given, MissingParameter when only one is.
func (p *params) portRange(name string) (*[2]int, error) {
	return p.intPair(name+".FromPort", name+".ToPort")
}

// intPair reads two integer parameters that go together (a port range's
// ends): nil when neither is given, MissingParameter when only one is.
func (p *params) intPair(first, second string) (*[2]int, error) {
	a, err := p.int(first)
	if err != nil {
		return nil, err
	}
	b, err := p.int(second)
	if err != nil {
		return nil, err
	}
	switch {
	case a == nil && b == nil:
		return nil, nil
	case a == nil:
		return nil, errMissing(first)
	case b == nil:
		return nil, errMissing(second)
	}
	return &[2]int{*a, *b}, nil
}

// removeFields decodes RemoveField.N and checks each against the allowed
// values.
func (p *params) removeFields(allowed ...string) (map[string]bool, error) {
	vals, err := p.list("RemoveField")
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for i, v := range vals {
		if !slices.Contains(allowed, v) {
			return nil, errInvalid(fmt.Sprintf("RemoveField.%d", i+1), v, "It must be one of: "+strings.Join(allowed, ", ")+".")
		}
		out[v] = true
	}
	return out, nil
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
