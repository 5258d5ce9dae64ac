package spec

import (
	"reflect"
	"regexp"
	"sort"
)

// yamlKeys returns, for every struct type of the format by name, its YAML
// keys (inline structs' keys included).
func yamlKeys() map[string][]string {
	out := map[string][]string{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t.PkgPath() != reflect.TypeOf(Scenario{}).PkgPath() {
			return
		}
		if _, done := out[t.Name()]; done {
			return
		}
		out[t.Name()] = nil
		out[t.Name()] = structKeys(t, walk)
	}
	walk(reflect.TypeOf(Scenario{}))
	// The kinds of an expectation and of a traffic step are keys of their
	// own, each of a type of its own.
	for _, k := range expectKinds {
		out["Expectation"] = append(out["Expectation"], k.key)
		walk(reflect.TypeOf(k.new()))
	}
	for _, k := range trafficKinds {
		out["Traffic"] = append(out["Traffic"], k.key)
		walk(reflect.TypeOf(k.new()))
	}
	sort.Strings(out["Expectation"])
	sort.Strings(out["Traffic"])
	return out
}

func structKeys(t reflect.Type, walk func(reflect.Type)) []string {
	fields := map[string]reflect.Type{}
	collectYAMLFields(t, fields)
	keys := make([]string, 0, len(fields))
	for k, ft := range fields {
		keys = append(keys, k)
		walk(ft)
	}
	sort.Strings(keys)
	return keys
}

var unknownFieldRE = regexp.MustCompile(`^field (\S+) not found in type \S*\.(\w+)$`)

// explainUnknownField rewrites yaml.v3's "field X not found in type
// spec.T" into a message that lists the keys allowed there, and a likely
// intended key (the same but for case, as in cidrBlock for CidrBlock, or a
// spelling away, as in rejectBehavior for rejectBehaviour).
func explainUnknownField(msg string) string {
	m := unknownFieldRE.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	return unknownKey(m[1], yamlKeys()[m[2]])
}
