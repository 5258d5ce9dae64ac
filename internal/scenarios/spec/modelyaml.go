package spec

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/mirrorlab/mirrorlab/internal/suggest"
)

// The scenario's resource sections decode straight into the model's types
// (cloudmock), through one table per resource kind that lists its YAML keys,
// the model field each fills, and how the value is read and written. The
// decoder records, for every place of the model it fills, the document path
// it came from, so that the model's validation errors find their place in
// the file by a lookup; export writes the file from the same tables.

// placeKey is a place in the model: a resource by its kind (cloudmock's
// resource name, as in ValidationError.Resource) and index in its list, and
// a field path inside it (as cloudmock's validation names it; "" for the
// resource itself).
type placeKey struct {
	Resource string
	Index    int
	Field    string
}

// places maps the places of the model that the file fills to their
// document paths.
type places map[placeKey]string

// at is where the decoder is: the model place and the document path.
type at struct {
	key  placeKey
	path string
}

// field is the place of field f (a model field path) below a.
func (a at) field(f, yamlKey string) at {
	k := a.key
	if k.Field != "" && f != "" {
		f = k.Field + "." + f
	} else if f == "" {
		f = k.Field
	}
	k.Field = f
	return at{key: k, path: a.path + "." + yamlKey}
}

// item is the place of item i of a list at a whose model field is f.
func (a at) item(f string, i int) at {
	return at{key: placeKey{a.key.Resource, a.key.Index, f + "[" + strconv.Itoa(i) + "]"}, path: a.path + "[" + strconv.Itoa(i) + "]"}
}

// key is one YAML key of a resource kind T.
type key[T any] struct {
	name string // the YAML key
	// field is the model field path the key fills ("" none: the key is
	// read into the lab's side, or spread over several fields).
	field string
	dec   func(d *modelDecoder, n *yaml.Node, a at, r *T)
	enc   func(r *T) *yaml.Node // nil: the key is left out
	// leaf: dec does not look at its place (which is then not built).
	leaf bool
}

// table is the keys of a resource kind, in the order export writes them.
type table[T any] []key[T]

func (t table[T]) names() []string {
	out := make([]string, len(t))
	for i, k := range t {
		out[i] = k.name
	}
	slices.Sort(out)
	return out
}

// yamlKey is the YAML key that fills model field f, or f itself.
func (t table[T]) yamlKey(f string) string {
	for _, k := range t {
		if k.field == f {
			return k.name
		}
	}
	return f
}

// modelDecoder walks YAML nodes into model values.
type modelDecoder struct {
	errs   []string // "line N: message", as yaml.v3's TypeError
	places places
	// later are problems of the file's check (reported with the
	// semantic problems, not the decoding ones).
	later []laterProblem
	// next is the model index of the next resource of a kind nested in
	// another (transit gateway attachments), by kind.
	next map[string]int
}

type laterProblem struct{ path, msg string }

func newModelDecoder() *modelDecoder { return &modelDecoder{places: places{}, next: map[string]int{}} }

func (d *modelDecoder) errorf(n *yaml.Node, format string, args ...any) {
	d.errs = append(d.errs, fmt.Sprintf("line %d: ", n.Line)+fmt.Sprintf(format, args...))
}

// wrongKind reports a node of the wrong kind, in yaml.v3's words.
func (d *modelDecoder) wrongKind(n *yaml.Node, what string) {
	value := ""
	if n.Kind == yaml.ScalarNode {
		value = " `" + n.Value + "`"
		if len(n.Value) > 10 {
			value = " `" + n.Value[:7] + "...`"
		}
	}
	d.errorf(n, "cannot unmarshal %s%s into %s", n.ShortTag(), value, what)
}

// err is the decoding problems as a *yaml.TypeError (nil when none).
func (d *modelDecoder) err() error {
	if len(d.errs) == 0 {
		return nil
	}
	return &yaml.TypeError{Errors: d.errs}
}

// record notes that place a comes from the file.
func (d *modelDecoder) record(a at) { d.places[a.key] = a.path }

// resolve follows an alias.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// eachPair calls fn with each of a mapping's keys and values, those merged
// in (<<) after the mapping's own, which win, as for yaml.v3.
func eachPair(n *yaml.Node, fn func(k, v *yaml.Node)) {
	if !slices.ContainsFunc(n.Content, func(k *yaml.Node) bool { return k.Kind == yaml.AliasNode || isMergeKey(k) }) {
		for i := 0; i+1 < len(n.Content); i += 2 { // the common case, without allocating
			fn(n.Content[i], n.Content[i+1])
		}
		return
	}
	for _, p := range pairs(n) {
		fn(p[0], p[1])
	}
}

// pairs lists a mapping's keys and values as eachPair gives them.
func pairs(n *yaml.Node) [][2]*yaml.Node {
	var own, merged [][2]*yaml.Node
	set := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if isMergeKey(k) {
			m := resolve(v)
			if m != nil && m.Kind == yaml.SequenceNode {
				for _, it := range m.Content {
					merged = append(merged, pairs(resolve(it))...)
				}
			} else if m != nil && m.Kind == yaml.MappingNode {
				merged = append(merged, pairs(m)...)
			}
			continue
		}
		set[k.Value] = true
		own = append(own, [2]*yaml.Node{k, v})
	}
	for _, p := range merged {
		if !set[p[0].Value] {
			set[p[0].Value] = true
			own = append(own, p)
		}
	}
	return own
}

// unknownKey is the message for a key that no field takes: the keys
// allowed there, and a likely intended one.
func unknownKey(k string, keys []string) string {
	out := "unknown field \"" + k + "\""
	for _, c := range keys {
		if strings.EqualFold(c, k) {
			return out + " (did you mean " + c + "?)"
		}
	}
	if near := suggest.Closest(k, keys, 1); len(near) == 1 {
		return out + " (did you mean " + near[0] + "?)"
	}
	if len(keys) > 0 {
		out += " (allowed here: " + strings.Join(keys, ", ") + ")"
	}
	return out
}

// decodeInto fills r from the mapping n by table t; what, the kind's words,
// names it in a message when n is no mapping. It returns the keys given,
// a bit for each by its index in t.
func decodeInto[T any](d *modelDecoder, n *yaml.Node, a at, t table[T], what string, r *T) (seen uint64) {
	n = resolve(n)
	if isNull(n) {
		return 0
	}
	if n.Kind != yaml.MappingNode {
		d.wrongKind(n, what)
		return 0
	}
	eachPair(n, func(k, v *yaml.Node) {
		i := 0
		for i < len(t) && t[i].name != k.Value {
			i++
		}
		if i == len(t) {
			d.errorf(k, "%s", unknownKey(k.Value, t.names()))
			return
		}
		seen |= 1 << i
		record := d.places != nil && t[i].field != "" && !strings.HasSuffix("."+t[i].field, "."+k.Value) // a key of the field's own name is found without
		var ka at
		if record || !t[i].leaf {
			ka = a.field(t[i].field, k.Value)
		}
		if record {
			d.record(ka)
		}
		t[i].dec(d, v, ka, r)
	})
	return seen
}

// decodeList decodes the sequence n, each item by item (given the item's
// place).
func decodeList(d *modelDecoder, n *yaml.Node, what string, item func(i int, n *yaml.Node)) {
	n = resolve(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.wrongKind(n, "a list of "+what)
		return
	}
	for i, it := range n.Content {
		item(i, it)
	}
}

// resources decodes the list n of resources of kind res by table t, the
// first one being the model's index first; they go to out in order.
func resources[T any](d *modelDecoder, n *yaml.Node, path, res string, first int, t table[T], what string, out *[]T) {
	decodeList(d, n, what+"s", func(i int, it *yaml.Node) {
		var r T
		a := at{key: placeKey{Resource: res, Index: first + i}, path: path + "[" + strconv.Itoa(i) + "]"}
		d.record(a)
		decodeInto(d, it, a, t, "a "+what, &r)
		*out = append(*out, r)
	})
}

// section decodes a network section: the list n, at path, of resources of
// kind res by table t. It returns them with the places it recorded and the
// section's problems.
func section[T any](n *yaml.Node, path, res string, t table[T], what string) ([]T, places, error) {
	d := newModelDecoder()
	var items []T
	resources(d, n, path, res, 0, t, what, &items)
	return items, d.places, d.err()
}

// splitItems splits resources as the file holds them into the model's
// values and what the lab keeps beside them.
func splitItems[I, M, L any](items []I, split func(I) (M, L)) ([]M, []L) {
	ms, ls := make([]M, len(items)), make([]L, len(items))
	for i, it := range items {
		ms[i], ls[i] = split(it)
	}
	return ms, ls
}

// joinItems is splitItems' reverse; a missing lab value is the zero one.
func joinItems[I, M, L any](ms []M, ls []L, join func(M, L) I) []I {
	out := make([]I, len(ms))
	for i, m := range ms {
		var l L
		if i < len(ls) {
			l = ls[i]
		}
		out[i] = join(m, l)
	}
	return out
}

// leaf decodes a scalar (or list of scalars) with yaml.v3, its problems
// (in its words) collected; ok is false when there was one.
func leaf[V any](d *modelDecoder, n *yaml.Node) (v V, ok bool) {
	if n.Kind == yaml.ScalarNode && quickLeaf(n, &v) {
		return v, true
	}
	err := n.Decode(&v)
	if te, isTE := err.(*yaml.TypeError); isTE {
		d.errs = append(d.errs, te.Errors...)
		return v, false
	}
	if err != nil {
		d.errorf(n, "%v", err)
		return v, false
	}
	return v, true
}

// quickLeaf decodes the common well-formed scalars without yaml.v3's
// decoder (a decoder per value costs more than the value); false leaves
// the scalar to it, which also words the problems.
func quickLeaf(n *yaml.Node, out any) bool {
	switch p := out.(type) {
	case *string:
		if n.ShortTag() == "!!str" {
			*p = n.Value
			return true
		}
	case *int:
		if i, err := strconv.Atoi(n.Value); err == nil && n.ShortTag() == "!!int" {
			*p = i
			return true
		}
	case *bool:
		if (n.Value == "true" || n.Value == "false") && n.ShortTag() == "!!bool" {
			*p = n.Value == "true"
			return true
		}
	case yaml.Unmarshaler:
		return n.ShortTag() != "!!null" && p.UnmarshalYAML(n) == nil
	}
	return false
}

// encodeValue is the node of a plain value.
func encodeValue(v any) *yaml.Node {
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return nil // a plain value always encodes
	}
	return &n
}

// encodeWith is the mapping of r by table t.
func encodeWith[T any](t table[T], r *T) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for _, k := range t {
		if k.enc == nil {
			continue
		}
		if v := k.enc(r); v != nil {
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k.name}, v)
		}
	}
	return m
}

// encodeList is the sequence of the mappings of rs by table t (nil when
// there is none).
func encodeList[T any](t table[T], rs []T) *yaml.Node {
	if len(rs) == 0 {
		return nil
	}
	s := &yaml.Node{Kind: yaml.SequenceNode}
	for i := range rs {
		s.Content = append(s.Content, encodeWith(t, &rs[i]))
	}
	return s
}

// Keys of the common kinds of values.

// valueKey is a plain field (a string, an int, a bool); omitZero leaves
// the zero value out when writing.
func valueKey[T any, V comparable](name, field string, get func(*T) *V, omitZero bool) key[T] {
	return key[T]{name: name, field: field, leaf: true,
		dec: func(d *modelDecoder, n *yaml.Node, _ at, r *T) {
			if v, ok := leaf[V](d, n); ok {
				*get(r) = v
			}
		},
		enc: func(r *T) *yaml.Node {
			var zero V
			if v := *get(r); v != zero || !omitZero {
				return encodeValue(v)
			}
			return nil
		}}
}

// strKey is a string field; omitEmpty leaves "" out when writing.
func strKey[T any](name, field string, get func(*T) *string, omitEmpty bool) key[T] {
	return valueKey(name, field, get, omitEmpty)
}

// intKey is an int field; omitZero leaves 0 out when writing.
func intKey[T any](name, field string, get func(*T) *int, omitZero bool) key[T] {
	return valueKey(name, field, get, omitZero)
}

// intPtrKey is an optional int field (nil: not given).
func intPtrKey[T any](name, field string, get func(*T) **int) key[T] {
	return key[T]{name: name, field: field, leaf: true,
		dec: func(d *modelDecoder, n *yaml.Node, _ at, r *T) {
			if v, ok := leaf[*int](d, n); ok {
				*get(r) = v
			}
		},
		enc: func(r *T) *yaml.Node {
			if v := *get(r); v != nil {
				return encodeValue(*v)
			}
			return nil
		}}
}

// strListKey is a list of strings, written on one line; each item's place
// is recorded (field[i]).
func strListKey[T any](name, field string, get func(*T) *[]string) key[T] {
	return key[T]{name: name, field: field,
		dec: func(d *modelDecoder, n *yaml.Node, a at, r *T) {
			v, ok := leaf[[]string](d, n)
			if !ok {
				return
			}
			*get(r) = v
			for i := range v {
				d.record(a.item(field, i))
			}
		},
		enc: func(r *T) *yaml.Node {
			v := *get(r)
			if len(v) == 0 {
				return nil
			}
			n := encodeValue(v)
			n.Style = yaml.FlowStyle
			return n
		}}
}

// cidrKey is a CIDR block held as a string: a valid block, without host
// bits; "" is left out when writing.
func cidrKey[T any](name, field string, get func(*T) *string) key[T] {
	return key[T]{name: name, field: field, leaf: true,
		dec: func(d *modelDecoder, n *yaml.Node, _ at, r *T) {
			if v, ok := leaf[ipPrefix](d, n); ok && v.IsValid() {
				*get(r) = v.String()
			}
		},
		enc: strKey(name, field, get, true).enc}
}

// path is the document path of model place k: the place itself when the
// file filled it, else the nearest enclosing place the file filled followed
// by the rest of the field (a field of the resource itself by its YAML key,
// yamlKey's). It is "" when the file has not even the resource.
func (p places) path(k placeKey, yamlKey func(string) string) string {
	f, rest := k.Field, ""
	for {
		if path, ok := p[placeKey{k.Resource, k.Index, f}]; ok {
			return path + rest
		}
		if f == "" {
			return ""
		}
		i := strings.LastIndexAny(f, ".[")
		if i < 0 {
			f, rest = "", "."+yamlKey(f)+rest
			continue
		}
		f, rest = f[:i], f[i:]+rest
	}
}
