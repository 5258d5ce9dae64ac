package cloudmock

import (
	"math/rand/v2"
	"reflect"
)

// Clone deep-copies the Spec structurally: every slice, pointer and map
// is copied, whatever the model's types hold (by reflection, so a field
// added to the model is copied too). It replaces a JSON round trip that
// cost about ten times as much per change, and cannot fail.
func (s *Spec) Clone() Spec {
	out := *s
	c := copier{refs: map[reflect.Type]bool{}}
	c.unshare(reflect.ValueOf(&out).Elem())
	return out
}

// copier is one deep copy: refs caches hasRefs by element type.
type copier struct{ refs map[reflect.Type]bool }

// unshare replaces, in v (settable, a shallow copy), every slice, pointer
// and map by a copy of its own, recursively.
func (c copier) unshare(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				c.unshare(f)
			}
		}
	case reflect.Array:
		for i := range v.Len() {
			c.unshare(v.Index(i))
		}
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		n := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(n, v)
		et := v.Type().Elem()
		refs, ok := c.refs[et]
		if !ok {
			refs = hasRefs(et)
			c.refs[et] = refs
		}
		if refs {
			for i := range n.Len() {
				c.unshare(n.Index(i))
			}
		}
		v.Set(n)
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		n := reflect.New(v.Type().Elem())
		n.Elem().Set(v.Elem())
		c.unshare(n.Elem())
		v.Set(n)
	case reflect.Map:
		if v.IsNil() {
			return
		}
		n := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(it.Value())
			c.unshare(e)
			n.SetMapIndex(it.Key(), e)
		}
		v.Set(n)
	}
}

// hasRefs says whether a value of type t holds a slice, pointer or map
// (a []string's elements need no copy of their own: strings are
// immutable).
func hasRefs(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Slice, reflect.Pointer, reflect.Map, reflect.Interface, reflect.Chan, reflect.Func:
		return true
	case reflect.Array:
		return hasRefs(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if hasRefs(t.Field(i).Type) {
				return true
			}
		}
	}
	return false
}

// NewVNI returns a VXLAN network id (1..2^24-1), drawn from rng, that no
// session of the Spec uses, as the clouds assign one when a session is
// created without. The servers store it in the Spec, so the model never
// picks another.
func (s *Spec) NewVNI(rng *rand.Rand) int {
	used := map[int]bool{}
	for _, x := range s.TrafficMirrorSessions {
		if x.VirtualNetworkId != nil {
			used[*x.VirtualNetworkId] = true
		}
	}
	return freeVNI(rng, func(v int) bool { return used[v] })
}

// freeVNI draws VNIs (1..2^24-1) from rng until one is not used.
func freeVNI(rng *rand.Rand, used func(int) bool) int {
	for {
		if v := rng.IntN(1<<24-1) + 1; !used(v) {
			return v
		}
	}
}
