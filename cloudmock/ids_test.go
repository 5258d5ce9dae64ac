package cloudmock

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// isIDField says whether a string (or []string) field of the model names a
// resource: its name ends in Id, Ids or Arn, or it is one of the few id
// lists named otherwise.
func isIDField(name string) bool {
	return strings.HasSuffix(name, "Id") || strings.HasSuffix(name, "Ids") || strings.HasSuffix(name, "Arn") || strings.HasSuffix(name, "Arns") ||
		name == "Groups"
}

// markers fills every string of a Spec with a unique marker (every list
// gets two elements, every pointer a value) and records, per marker, the
// field's path and whether it is an id field.
type markers struct {
	n    int
	path map[string]string
	id   map[string]bool
}

func (m *markers) fill(v reflect.Value, name, path string) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			m.fill(v.Field(i), f.Name, path+"."+f.Name)
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			m.fill(v.Index(i), name, fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		m.fill(v.Elem(), name, path)
	case reflect.String:
		m.n++
		s := fmt.Sprintf("marker-%d", m.n)
		v.SetString(s)
		m.path[s], m.id[s] = path, isIDField(name)
	}
}

func filledSpec() (*Spec, *markers) {
	m := &markers{path: map[string]string{}, id: map[string]bool{}}
	s := &Spec{}
	m.fill(reflect.ValueOf(s).Elem(), "Spec", "Spec")
	return s, m
}

// EachID visits every id field of the model's types exactly once and no
// other field: a field added to the Spec that names a resource fails here
// until the walk knows it.
func TestEachIDVisitsEveryIDField(t *testing.T) {
	s, m := filledSpec()
	seen := map[string]int{}
	s.EachID(func(r IDRef) {
		seen[*r.ID]++
		if !m.id[*r.ID] {
			t.Errorf("EachID visits %s (%s), which is not an id field", m.path[*r.ID], r.Field)
		}
	})
	n := 0
	for s, isID := range m.id {
		if !isID {
			continue
		}
		n++
		if seen[s] != 1 {
			t.Errorf("EachID visits %s %d times, want once (add the field to cloudmock/ids.go)", m.path[s], seen[s])
		}
	}
	if n < 30 {
		t.Fatalf("only %d id fields filled: the reflection walk is broken", n)
	}
}

// The pointers EachID gives are the Spec's fields: rewriting them
// rewrites the Spec, and Field names the field of Resource.
func TestEachIDRewritesInPlace(t *testing.T) {
	s, m := filledSpec()
	s.EachID(func(r IDRef) {
		if !reachable(reflect.ValueOf(r.Resource), strings.Split(r.Field, "."), r.ID) {
			t.Errorf("%s: Field %q of %T does not lead to the id", m.path[*r.ID], r.Field, r.Resource)
		}
		*r.ID = "new-" + *r.ID
	})
	var left []string
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i))
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Pointer:
			walk(v.Elem())
		case reflect.String:
			if m.id[v.String()] {
				left = append(left, m.path[v.String()])
			}
		}
	}
	walk(reflect.ValueOf(s).Elem())
	if len(left) > 0 {
		t.Errorf("ids not rewritten in place: %v", left)
	}
}

// reachable says whether following the field names (through every list
// element) from v reaches the string at id.
func reachable(v reflect.Value, parts []string, id *string) bool {
	switch v.Kind() {
	case reflect.Pointer:
		return reachable(v.Elem(), parts, id)
	case reflect.Slice:
		for i := range v.Len() {
			if reachable(v.Index(i), parts, id) {
				return true
			}
		}
		return false
	case reflect.String:
		return len(parts) == 0 && v.Addr().Interface().(*string) == id
	case reflect.Struct:
		if len(parts) == 0 {
			return false
		}
		f := v.FieldByName(parts[0])
		return f.IsValid() && reachable(f, parts[1:], id)
	}
	return false
}

// Own marks a resource's own id; references are not Own.
func TestEachIDOwn(t *testing.T) {
	s := Spec{
		Vpcs:    []Vpc{{VpcId: "v"}},
		Subnets: []Subnet{{SubnetId: "s", VpcId: "v"}},
		NetworkInterfaces: []NetworkInterface{{NetworkInterfaceId: "e", SubnetId: "s", InstanceId: "i",
			Groups: []string{"g"}}},
		TrafficMirrorSessions: []*TrafficMirrorSession{{TrafficMirrorSessionId: "m", NetworkInterfaceId: "e",
			TrafficMirrorSourceIds: []string{"e2"}, TrafficMirrorTargetId: "t", TrafficMirrorFilterId: "f"}},
	}
	var got []string
	s.EachID(func(r IDRef) { got = append(got, fmt.Sprintf("%s:%s:%v", r.Kind, *r.ID, r.Own)) })
	want := "vpc:v:true subnet:s:true vpc:v:false eni:e:true subnet:s:false i:i:true sg:g:false " +
		"tms:m:true eni:e:false eni:e2:false tmt:t:false tmf:f:false"
	if strings.Join(got, " ") != want {
		t.Fatalf("EachID =\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
}
