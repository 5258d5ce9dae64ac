package lab

import (
	"reflect"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// instanceRun is what the lab needs of a model instance to run its user
// data.
type instanceRun struct {
	ID, UserData string
	Running      bool
}

// userDataOf reads the instances of s: cloudmock.Spec.Instances, each
// with InstanceId, UserData and State ("running" or empty: running).
//
// The model's Instance type is being added alongside this code (the
// instance API's branch); until both are merged the field is read by
// name, so this file builds either way. Once cloudmock.Instance is on
// the same branch, replace the reflection with a loop over s.Instances.
func userDataOf(s cloudmock.Spec) []instanceRun {
	return instancesIn(reflect.ValueOf(s))
}

func instancesIn(spec reflect.Value) []instanceRun {
	list := spec.FieldByName("Instances")
	if !list.IsValid() || list.Kind() != reflect.Slice {
		return nil
	}
	out := make([]instanceRun, 0, list.Len())
	for i := range list.Len() {
		in := list.Index(i)
		str := func(name string) string {
			if f := in.FieldByName(name); f.IsValid() && f.Kind() == reflect.String {
				return f.String()
			}
			return ""
		}
		st := str("State")
		out = append(out, instanceRun{ID: str("InstanceId"), UserData: str("UserData"), Running: st == "" || st == "running"})
	}
	return out
}
