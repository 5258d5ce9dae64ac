package compare

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// jsonDiff appends the paths where two JSON documents differ (object key
// order ignored; numbers compared by value); ok is false when either body
// is not JSON.
func (c *Comparer) jsonDiff(dst []Diff, a, b []byte) ([]Diff, bool) {
	va, err := decodeJSON(a)
	if err != nil {
		return dst, false
	}
	vb, err := decodeJSON(b)
	if err != nil {
		return dst, false
	}
	w := walker{c: c, out: dst}
	w.walk(va, vb)
	return w.out, true
}

func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("trailing data")
	}
	return v, nil
}

type seg struct {
	key string
	idx int // -1 for a key
}

type walker struct {
	c    *Comparer
	path []seg
	out  []Diff
}

func (w *walker) report(a, b any) {
	if len(w.out) >= maxDiffs {
		return
	}
	p := renderPath(w.path)
	if w.c.ignoredJSON(w.path) {
		return
	}
	w.out = append(w.out, Diff{Kind: kindBody, Field: p, Prod: cut(jsonText(a)), Test: cut(jsonText(b))})
}

func (w *walker) walk(a, b any) {
	if len(w.out) >= maxDiffs || w.c.ignoredJSON(w.path) {
		return
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			w.report(a, b)
			return
		}
		keys := make([]string, 0, len(x)+len(y))
		for k := range x {
			keys = append(keys, k)
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			w.path = append(w.path, seg{key: k, idx: -1})
			va, ina := x[k]
			vb, inb := y[k]
			switch {
			case !ina:
				w.report(missing{}, vb)
			case !inb:
				w.report(va, missing{})
			default:
				w.walk(va, vb)
			}
			w.path = w.path[:len(w.path)-1]
		}
	case []any:
		y, ok := b.([]any)
		if !ok {
			w.report(a, b)
			return
		}
		for i := 0; i < max(len(x), len(y)); i++ {
			w.path = append(w.path, seg{idx: i})
			switch {
			case i >= len(x):
				w.report(missing{}, y[i])
			case i >= len(y):
				w.report(x[i], missing{})
			default:
				w.walk(x[i], y[i])
			}
			w.path = w.path[:len(w.path)-1]
		}
	case json.Number:
		y, ok := b.(json.Number)
		if !ok || !sameNumber(x, y) {
			w.report(a, b)
		}
	default:
		if a != b { // string, bool, nil
			w.report(a, b)
		}
	}
}

func sameNumber(a, b json.Number) bool {
	if a == b {
		return true
	}
	fa, ea := a.Float64()
	fb, eb := b.Float64()
	return ea == nil && eb == nil && fa == fb
}

type missing struct{}

func jsonText(v any) string {
	switch v.(type) {
	case missing:
		return "(missing)"
	case map[string]any:
		return "{…}"
	case []any:
		return "[…]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func renderPath(p []seg) string {
	if len(p) == 0 {
		return "."
	}
	var b strings.Builder
	for _, s := range p {
		if s.idx >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.idx))
			b.WriteByte(']')
			continue
		}
		b.WriteByte('.')
		b.WriteString(s.key)
	}
	return b.String()
}

// pattern is a parsed -compare-ignore-json path: ".a.b", ".items[].ts",
// ".*.ts"; "[]", "[*]" and "*" match any index or key. A pattern covers
// the subtree under the path it names.
type pattern []seg

const anyIdx = -2

// parseJSONPath parses an ignore path such as ".meta.ts" or
// "items[].updated" (a leading "$" or "." is optional).
func parseJSONPath(s string) ([]seg, error) {
	orig := s
	s = strings.TrimPrefix(s, "$")
	if s == "" || s == "." {
		return nil, fmt.Errorf("json path %q: empty", orig)
	}
	if s[0] != '.' && s[0] != '[' {
		s = "." + s
	}
	var out []seg
	for len(s) > 0 {
		switch s[0] {
		case '.':
			s = s[1:]
			i := strings.IndexAny(s, ".[")
			if i < 0 {
				i = len(s)
			}
			if i == 0 {
				return nil, fmt.Errorf("json path %q: empty key", orig)
			}
			out = append(out, seg{key: s[:i], idx: -1})
			s = s[i:]
		case '[':
			j := strings.IndexByte(s, ']')
			if j < 0 {
				return nil, fmt.Errorf("json path %q: missing ]", orig)
			}
			in := s[1:j]
			s = s[j+1:]
			if in == "" || in == "*" {
				out = append(out, seg{idx: anyIdx})
				continue
			}
			n, err := strconv.Atoi(in)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("json path %q: index %q is not a number or *", orig, in)
			}
			out = append(out, seg{idx: n})
		default:
			return nil, fmt.Errorf("json path %q: unexpected %q", orig, s[0])
		}
	}
	return out, nil
}

// ignoredJSON reports whether an ignore pattern covers path.
func (c *Comparer) ignoredJSON(path []seg) bool {
	for _, p := range c.ignoreJSON {
		if len(p) <= len(path) && matches(p, path[:len(p)]) {
			return true
		}
	}
	return false
}

func matches(p, path []seg) bool {
	for i, s := range p {
		q := path[i]
		switch {
		case s.idx == anyIdx:
			if q.idx < 0 {
				return false
			}
		case s.idx >= 0:
			if q.idx != s.idx {
				return false
			}
		case s.key == "*":
			if q.idx >= 0 {
				return false
			}
		default:
			if q.idx >= 0 || q.key != s.key {
				return false
			}
		}
	}
	return true
}
