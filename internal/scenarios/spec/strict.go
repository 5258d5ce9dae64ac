package spec

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// unknownFields lists, in yaml.v3's own words ("line N: field X not found
// in type spec.T"), every mapping key of the tree n that no field of type t
// takes, as yaml.v3's Decoder.KnownFields does; nothing below a type that
// unmarshals itself. It lets the loader decode the one tree it parsed
// (yaml.Node.Decode has no KnownFields), instead of parsing the file a
// second time. budget bounds the nodes visited through aliases.
func unknownFields(n *yaml.Node, t reflect.Type, budget int) []string {
	w := fieldWalk{budget: budget, infos: map[reflect.Type]*fieldInfo{}, self: map[reflect.Type]bool{}}
	w.walk(n, t, nil)
	return w.errs
}

type fieldWalk struct {
	errs   []string
	budget int
	infos  map[reflect.Type]*fieldInfo // structFields, by type
	self   map[reflect.Type]bool       // selfDecoding, by type
}

var (
	unmarshalerType         = reflect.TypeFor[yaml.Unmarshaler]()
	obsoleteUnmarshalerType = reflect.TypeFor[interface {
		UnmarshalYAML(func(any) error) error
	}]()
)

// selfDecoding reports a type that yaml.v3 hands the node to.
func selfDecoding(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return t.Implements(unmarshalerType) || p.Implements(unmarshalerType) ||
		t.Implements(obsoleteUnmarshalerType) || p.Implements(obsoleteUnmarshalerType)
}

// walk checks node n against type t; skip holds the keys a mapping merged
// into (<<) already set, which yaml.v3 does not look at again.
func (w *fieldWalk) walk(n *yaml.Node, t reflect.Type, skip map[string]bool) {
	if w.budget--; w.budget < 0 || n == nil {
		return
	}
	switch n.Kind {
	case yaml.AliasNode:
		w.walk(n.Alias, t, skip)
		return
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			w.walk(n.Content[0], t, skip)
		}
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	self, known := w.self[t]
	if !known {
		self = selfDecoding(t)
		w.self[t] = self
	}
	if self {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind == yaml.MappingNode {
			w.mapping(n, t, skip)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind == yaml.SequenceNode && t.Elem().Kind() != reflect.Uint8 {
			for _, item := range n.Content {
				w.walk(item, t.Elem(), nil)
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 1; i < len(n.Content); i += 2 {
				w.walk(n.Content[i], t.Elem(), nil)
			}
		}
	}
}

func (w *fieldWalk) mapping(n *yaml.Node, t reflect.Type, skip map[string]bool) {
	info := w.infos[t]
	if info == nil {
		info = structFields(t)
		w.infos[t] = info
	}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			merges = append(merges, v)
			continue
		}
		if k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode || skip[k.Value] {
			continue
		}
		switch ft, ok := info.fields[k.Value]; {
		case ok:
			w.walk(v, ft, nil)
		case info.inlineMap != nil:
			w.walk(v, info.inlineMap, nil)
		default:
			w.errs = append(w.errs, fmt.Sprintf("line %d: field %s not found in type %s", k.Line, k.Value, t))
		}
	}
	if len(merges) == 0 {
		return
	}
	set := map[string]bool{}
	for k := range skip {
		set[k] = true
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		set[n.Content[i].Value] = true
	}
	for _, m := range merges {
		if m.Kind == yaml.AliasNode {
			m = m.Alias
		}
		if m != nil && m.Kind == yaml.SequenceNode {
			for _, item := range m.Content {
				w.walk(item, t, set)
			}
			continue
		}
		w.walk(m, t, set)
	}
}

func isMergeKey(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Value == "<<" && (n.Tag == "" || n.Tag == "!" || n.Tag == "!!merge" || n.Tag == "tag:yaml.org,2002:merge")
}

// fieldInfo is what yaml.v3 decodes into a struct: the type of each key's
// field (inline structs' keys included) and an inline map's element type.
type fieldInfo struct {
	fields    map[string]reflect.Type
	index     map[string][]int // for reflect.Value.FieldByIndexErr
	inlineMap reflect.Type
}

// structFields follows yaml.v3's getStructInfo: exported fields, the tag's
// name or the lower-cased field name, "-" skipped, ",inline" structs
// flattened (unless they unmarshal themselves) and ",inline" maps.
func structFields(t reflect.Type) *fieldInfo {
	info := &fieldInfo{fields: map[string]reflect.Type{}, index: map[string][]int{}}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.PkgPath != "" && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "" && !strings.Contains(string(f.Tag), ":") {
			tag = string(f.Tag)
		}
		if tag == "-" {
			continue
		}
		name, flags, _ := strings.Cut(tag, ",")
		if strings.Contains(","+flags+",", ",inline,") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch {
			case ft.Kind() == reflect.Map:
				info.inlineMap = ft.Elem()
			case ft.Kind() == reflect.Struct && !reflect.PointerTo(ft).Implements(unmarshalerType):
				inner := structFields(ft)
				for k, v := range inner.fields {
					info.fields[k] = v
					info.index[k] = append([]int{i}, inner.index[k]...)
				}
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		info.fields[name] = f.Type
		info.index[name] = []int{i}
	}
	return info
}
