package ec2api

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// The checks below run on each change of a server whose verify is set
// (the package's tests set it): they cost a copy and a validation of the
// whole account, which is what a change otherwise avoids.

// kept is a published state and a copy of it made when it was published.
type kept struct {
	p    *published
	spec cloudmock.Spec
	tags tagStore
}

// maxKept is how many of the last published states verify keeps: a
// change must leave every one as it was (a reader, or the lab, may hold
// any), not only the one it started from.
const maxKept = 16

// checkUnchanged keeps a copy of the published state p and returns a
// function that notes in s.broken (the tests fail on it) when one of the
// kept states no longer equals its copy: an action wrote into a list it
// shares with a published Spec instead of its own copy. The caller holds
// s.wmu until it runs.
func (s *Server) checkUnchanged(p *published) func() {
	if n := len(s.kept); n == 0 || s.kept[n-1].p != p {
		s.kept = append(s.kept, kept{p: p, spec: p.spec.Clone(), tags: p.tags.deepClone()})
		if len(s.kept) > maxKept {
			s.kept = s.kept[1:]
		}
	}
	return func() {
		for i, k := range slices.Backward(s.kept) {
			since := len(s.kept) - 1 - i // states published after k
			switch {
			case s.broken != nil:
			case !reflect.DeepEqual(k.spec, k.p.spec):
				s.broken = fmt.Errorf("a change wrote into a published Spec (%d published since): its %s",
					since, firstDifference(&k.spec, &k.p.spec))
			case !reflect.DeepEqual(k.tags.plain(), k.p.tags.plain()):
				s.broken = fmt.Errorf("a change wrote into published tags (%d published since)", since)
			}
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
