package ec2api

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// filterFields says, for one resource kind, the values a Describe filter
// name selects on: each function returns the item's values for that name
// (none when the item has no such attribute). The names are the ones the
// EC2 API reference documents for the action; tag:KEY, tag-key and
// tag-value are handled by applyFilters from the tag store.
type filterFields[T any] map[string]func(T) []string

// applyFilters keeps the items that match every filter (AND); a filter
// matches when one of its values matches one of the item's (OR). Values
// may use EC2's wildcards: * (any run), ? (one character), \ escaping
// them. An undocumented filter name is InvalidParameterValue, as EC2
// answers.
func applyFilters[T any](items []T, fs []Filter, fields filterFields[T], id func(T) string, tags tagStore) ([]T, error) {
	type test func(T) []string
	tests := make([]test, len(fs))
	for i, f := range fs {
		switch {
		case strings.HasPrefix(f.Name, "tag:"):
			key := f.Name[len("tag:"):]
			tests[i] = func(x T) []string {
				if v, ok := tags.value(id(x), key); ok {
					return []string{v}
				}
				return nil
			}
		case f.Name == "tag-key":
			tests[i] = func(x T) []string { return slices.Sorted(maps.Keys(tags.get(id(x)))) }
		case f.Name == "tag-value":
			tests[i] = func(x T) []string { return slices.Sorted(maps.Values(tags.get(id(x)))) }
		case fields[f.Name] != nil:
			tests[i] = fields[f.Name]
		default:
			names := slices.Sorted(maps.Keys(fields))
			return nil, errorf("InvalidParameterValue", "The filter '%s' is invalid (Filter.%d.Name; this action knows %s, tag:KEY, tag-key, tag-value)", f.Name, i+1, strings.Join(names, ", "))
		}
		if len(f.Values) == 0 {
			return nil, errMissing(fmt.Sprintf("Filter.%d.Value.1", i+1))
		}
	}
	globs := make([][]glob, len(fs))
	for i, f := range fs {
		for _, v := range f.Values {
			globs[i] = append(globs[i], compileGlob(v))
		}
	}
	var out []T
	for _, x := range items {
		ok := true
		for i := range fs {
			if !anyMatch(globs[i], tests[i](x)) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, x)
		}
	}
	return out, nil
}

func anyMatch(patterns []glob, values []string) bool {
	for _, p := range patterns {
		for _, v := range values {
			if p.match(v) {
				return true
			}
		}
	}
	return false
}

// one returns a single value, none for "".
func one(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// num returns an integer as a filter value.
func num(n int) []string { return []string{fmt.Sprint(n)} }

// optNum returns an optional integer as a filter value.
func optNum(n *int) []string {
	if n == nil {
		return nil
	}
	return num(*n)
}

// sortByID sorts items by their id: the order of Describe answers and of
// pagination.
func sortByID[T any](items []T, id func(T) string) {
	sort.SliceStable(items, func(i, j int) bool { return id(items[i]) < id(items[j]) })
}
