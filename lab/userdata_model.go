package lab

import "github.com/mirrorlab/mirrorlab/cloudmock"

// instanceRun is what the lab needs of a model instance to run its user
// data.
type instanceRun struct {
	ID, UserData string
	Running      bool
}

// userDataOf reads the instances of s: each with its id, user data and
// whether it runs (State "running", or empty).
func userDataOf(s cloudmock.Spec) []instanceRun {
	out := make([]instanceRun, 0, len(s.Instances))
	for i := range s.Instances {
		in := &s.Instances[i]
		out = append(out, instanceRun{ID: in.InstanceId, UserData: in.UserData, Running: in.Running()})
	}
	return out
}
