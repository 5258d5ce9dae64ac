package cloudmock

import (
	"fmt"
	"reflect"
	"testing"
)

// perturb changes the n-th leaf of v, in a fixed walk order, and returns
// its path: a string, number or bool changed, a pointer set to nil, a list
// shortened by one (a nil pointer or an empty list is no leaf). It returns
// "" when v has n leaves or fewer (n counts down as leaves are passed).
func perturb(v reflect.Value, n *int, path string) string {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				if p := perturb(f, n, path+"."+v.Type().Field(i).Name); p != "" {
					return p
				}
			}
		}
		return ""
	case reflect.Slice:
		if v.Len() == 0 {
			return ""
		}
		if *n == 0 {
			v.Set(v.Slice(0, v.Len()-1))
			return path + " (shortened)"
		}
		*n--
		for i := range v.Len() {
			if p := perturb(v.Index(i), n, fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
		return ""
	case reflect.Pointer:
		if v.IsNil() {
			return ""
		}
		if *n == 0 {
			v.Set(reflect.Zero(v.Type()))
			return path + " (nil)"
		}
		*n--
		return perturb(v.Elem(), n, path)
	}
	if *n == 0 {
		scribble(v)
		return path
	}
	*n--
	return ""
}

// The diff sees a change of any field of any resource (a field added to
// the model and left out of its equality fails here), and no change in a
// copy.
func TestDiffSeesEveryField(t *testing.T) {
	var orig Spec
	fill(reflect.ValueOf(&orig).Elem(), 0)
	c := orig.Clone()
	if d := diffSpecs(&orig, &c, nil); !d.only() {
		t.Fatalf("a copy differs: %+v", d)
	}
	leaves := 0
	for ; ; leaves++ {
		c := orig.Clone()
		k := leaves
		path := perturb(reflect.ValueOf(&c).Elem(), &k, "Spec")
		if path == "" {
			break
		}
		if d := diffSpecs(&orig, &c, nil); d.only() {
			t.Errorf("changing %s is not seen", path)
		}
	}
	if leaves < 100 {
		t.Fatalf("only %d leaves changed: the walk checks nothing", leaves)
	}
}

// diffList finds the span of a change in place, of an append and of a
// removal.
func TestDiffListSpans(t *testing.T) {
	prev := []int{1, 2, 3, 4, 5}
	for _, c := range []struct {
		next []int
		want span
	}{
		{[]int{1, 2, 3, 4, 5}, span{5, 5, 5}},
		{[]int{1, 2, 9, 4, 5}, span{2, 3, 3}},
		{[]int{1, 2, 3, 4, 5, 6}, span{5, 5, 6}},
		{[]int{1, 2, 4, 5}, span{2, 3, 2}},
		{[]int{2, 3, 4, 5}, span{0, 1, 0}},
		{nil, span{0, 5, 0}},
	} {
		if got := diffList(prev, c.next, eqVal); got != c.want {
			t.Errorf("%v -> %v: span %+v, want %+v", prev, c.next, got, c.want)
		}
	}
}

// filtersSpec is the walk-through with n more filters of one rule each.
func filtersSpec(n int) Spec {
	s := walkthroughSpec()
	for i := range n {
		s.TrafficMirrorFilters = append(s.TrafficMirrorFilters, &TrafficMirrorFilter{TrafficMirrorFilterId: fmt.Sprintf("tmf-%017x", i+1),
			IngressFilterRules: []TrafficMirrorFilterRule{acceptAll(100)}})
	}
	return s
}

// BenchmarkCloneDiff is the copy and the comparison a change of an
// account of 10 000 filters costs.
func BenchmarkCloneDiff(b *testing.B) {
	s := filtersSpec(10000)
	b.Run("clone", func(b *testing.B) {
		for b.Loop() {
			_ = s.Clone()
		}
	})
	c := s.Clone()
	b.Run("diff", func(b *testing.B) {
		for b.Loop() {
			_ = diffSpecs(&s, &c, nil)
		}
	})
}
