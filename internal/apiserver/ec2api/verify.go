package ec2api

import (
	"fmt"
	"reflect"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// The checks below run on each change of a server whose verify is set
// (the package's tests set it): they cost a copy and a validation of the
// whole account, which is what a change otherwise avoids.

// checkUnchanged copies the published state p and returns a function
// that notes in s.broken (the tests fail on it) when p no longer equals
// its copy: an action wrote into a list it shares with the published
// Spec instead of its own copy. The caller holds s.wmu until it runs.
func (s *Server) checkUnchanged(p *published) func() {
	spec, tags := p.spec.Clone(), p.tags.deepClone()
	return func() {
		switch {
		case s.broken != nil:
		case !reflect.DeepEqual(spec, p.spec):
			s.broken = fmt.Errorf("a change wrote into the published Spec's %s", firstDifference(&spec, &p.spec))
		case !reflect.DeepEqual(tags, p.tags):
			s.broken = fmt.Errorf("a change wrote into the published tags")
		}
	}
}

// verifyFault is the first fault the checks of verify found (nil without).
func (s *Server) verifyFault() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.broken
}

// firstDifference names the first list of a that differs from b's.
func firstDifference(a, b *cloudmock.Spec) string {
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	for i := range va.NumField() {
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			return va.Type().Field(i).Name
		}
	}
	return "none"
}

// checkDelta checks the change's shortcuts against the whole model: the
// window of filters it says it touched holds every difference, and the
// Change validates as next.Validate() does (the same error, or none).
func (s *Server) checkDelta(prev *cloudmock.Spec, st *state, delta *cloudmock.Change) error {
	if st.sharedFilters() {
		p, n := prev.TrafficMirrorFilters, st.spec.TrafficMirrorFilters
		w := st.fw.window(len(p), len(n))
		if !sameList(p[:w.Lo], n[:w.Lo]) || !sameList(p[w.PrevHi:], n[w.NextHi:]) {
			return fmt.Errorf("verify: the filters differ outside the window %+v the change touched", w)
		}
	}
	got, want := delta.Validate(), st.spec.Validate()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		return fmt.Errorf("verify: the change validates as %v, the whole Spec as %v", got, want)
	}
	return nil
}

// sameList says two lists hold equal elements (nil and empty alike).
func sameList[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}
