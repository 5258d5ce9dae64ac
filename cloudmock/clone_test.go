package cloudmock

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// fill sets every field reachable from v (settable) to a value derived
// from seed: slices of two elements, pointers and maps set, strings and
// numbers non-zero, booleans true.
func fill(v reflect.Value, seed int) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				fill(f, seed+i)
			}
		}
	case reflect.Slice:
		n := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(n.Index(i), seed+i)
		}
		v.Set(n)
	case reflect.Pointer:
		n := reflect.New(v.Type().Elem())
		fill(n.Elem(), seed)
		v.Set(n)
	case reflect.Map:
		n := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, seed)
		fill(e, seed)
		n.SetMapIndex(k, e)
		v.Set(n)
	case reflect.String:
		v.SetString("s" + string(rune('a'+seed%26)))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(seed + 1))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(seed + 1))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(seed) + 0.5)
	}
}

// scribble changes every value reachable from v in place (through the
// slices' and pointers' own memory, as a change on a shared copy would).
func scribble(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				scribble(f)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			scribble(v.Index(i))
		}
	case reflect.Pointer:
		if !v.IsNil() {
			scribble(v.Elem())
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			v.SetMapIndex(it.Key(), reflect.Zero(v.Type().Elem()))
		}
	case reflect.String:
		v.SetString(v.String() + "!")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(v.Int() + 100)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(v.Uint() + 100)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Float32, reflect.Float64:
		v.SetFloat(v.Float() + 1)
	}
}

// Clone copies every field of the model's types, and the copy shares no
// memory with the original: changing any value of the copy in place
// leaves the original as it was (a slice, map or pointer field added to
// any type of the Spec and left shared fails here).
func TestCloneIsDeep(t *testing.T) {
	var orig, want Spec
	fill(reflect.ValueOf(&orig).Elem(), 0)
	fill(reflect.ValueOf(&want).Elem(), 0)
	c := orig.Clone()
	if !reflect.DeepEqual(c, orig) {
		t.Fatalf("the copy differs from the original:\n%+v\n%+v", c, orig)
	}
	scribble(reflect.ValueOf(&c).Elem())
	if !reflect.DeepEqual(orig, want) {
		t.Fatalf("changing the copy changed the original:\n%+v", orig)
	}
	if reflect.DeepEqual(c, orig) {
		t.Fatal("scribble changed nothing: the test checks nothing")
	}
}

// CloneLists copies deeply the lists named, each bit the Spec's list of
// that rank, and shares the others: scribbling on a list copied leaves
// the original as it was, and the lists not named are the original's
// own memory.
func TestCloneListsCopiesOnlyThoseNamed(t *testing.T) {
	var orig, want Spec
	fill(reflect.ValueOf(&orig).Elem(), 0)
	fill(reflect.ValueOf(&want).Elem(), 0)
	ov := reflect.ValueOf(&orig).Elem()
	const firstList = 2 // after Profile and RejectBehavior
	if n := ov.NumField() - firstList; AllLists != 1<<n-1 {
		t.Fatalf("AllLists is %b for %d lists", AllLists, n)
	}
	for bit := range nLists {
		c := orig.CloneLists(1 << bit)
		cv := reflect.ValueOf(&c).Elem()
		for f := firstList; f < cv.NumField(); f++ {
			shared := cv.Field(f).Pointer() == ov.Field(f).Pointer()
			if shared != (f-firstList != bit) {
				t.Fatalf("CloneLists(1<<%d): %s shared %v", bit, cv.Type().Field(f).Name, shared)
			}
		}
		scribble(cv.Field(firstList + bit))
		if !reflect.DeepEqual(orig, want) {
			t.Fatalf("changing the copy of %s changed the original", cv.Type().Field(firstList+bit).Name)
		}
	}
}

// NewVNI skips the VNIs the sessions use: with the first draw taken, it
// returns the next one from the same rng.
func TestNewVNISkipsUsed(t *testing.T) {
	draws := rand.New(rand.NewPCG(1, 2))
	first, second := draws.IntN(1<<24-1)+1, draws.IntN(1<<24-1)+1
	s := Spec{TrafficMirrorSessions: []*TrafficMirrorSession{{VirtualNetworkId: new(first)}, {}}}
	if got := s.NewVNI(rand.New(rand.NewPCG(1, 2))); got != second || got == first {
		t.Fatalf("NewVNI = %d, want %d (the first draw %d is used)", got, second, first)
	}
	s.TrafficMirrorSessions = nil
	if got := s.NewVNI(rand.New(rand.NewPCG(1, 2))); got != first {
		t.Fatalf("NewVNI with no sessions = %d, want the first draw %d", got, first)
	}
}

// FillVNIs gives each session without a VNI one that no other session
// holds, in order: with the rng's first draw held by the second session,
// the first and third get the second and third draws.
func TestFillVNIsDistinct(t *testing.T) {
	draws := rand.New(rand.NewPCG(1, 2))
	first, second, third := draws.IntN(1<<24-1)+1, draws.IntN(1<<24-1)+1, draws.IntN(1<<24-1)+1
	s := Spec{TrafficMirrorSessions: []*TrafficMirrorSession{{}, {VirtualNetworkId: new(first)}, {}}}
	s.FillVNIs(rand.New(rand.NewPCG(1, 2)))
	got := []int{*s.TrafficMirrorSessions[0].VirtualNetworkId, *s.TrafficMirrorSessions[1].VirtualNetworkId, *s.TrafficMirrorSessions[2].VirtualNetworkId}
	if want := []int{second, first, third}; !slices.Equal(got, want) {
		t.Fatalf("VNIs %v, want %v", got, want)
	}
}
