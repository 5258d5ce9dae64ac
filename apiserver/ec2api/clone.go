package ec2api

import (
	"reflect"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// cloneSpec deep-copies a Spec structurally: every slice, pointer and map
// is copied, whatever the model's types hold (by reflection, so a field
// added to the model is copied too). It replaces a JSON round trip that
// cost about ten times as much per change.
func cloneSpec(s cloudmock.Spec) cloudmock.Spec {
	out := s
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
