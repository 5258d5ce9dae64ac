package explain

import (
	"fmt"
	"path/filepath"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/workload"
)

// maxReplayHops is how many frames of a replay are listed one by one; the
// rest are only counted.
const maxReplayHops = 5

// replay decides every frame of a capture at its interface and counts the
// outcomes.
func (x *explainer) replay(f *Flow, r *spec.Replay) {
	ref, ok := x.m.ENI(r.NetworkInterface)
	if !ok {
		f.Note = fmt.Sprintf("no network interface named %q", r.NetworkInterface)
		return
	}
	dir := cloudmock.Egress
	if r.Direction == "ingress" {
		dir = cloudmock.Ingress
	}
	path := r.File
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(x.s.File), path)
	}
	f.Summary = map[string]int{}
	n := 0
	err := workload.ReadFrames(path, func(frame []byte) error {
		fl, _ := cloudmock.ParseFlow(frame)
		h := x.hopAt(fmt.Sprintf("frame %d", n+1), frame, fl.String(), ref, dir)
		n++
		if len(f.Hops) < maxReplayHops {
			f.Hops = append(f.Hops, h)
		}
		key := h.Reason
		if h.Mirrored {
			key = fmt.Sprintf("mirrored by %s to %s (VNI %d), %s", h.Session, h.Target, h.VNI, h.Delivery)
			if h.Truncated {
				key += ", truncated"
			}
		}
		f.Summary[key]++
		return nil
	})
	if err != nil {
		f.Note = err.Error()
		return
	}
	if n > maxReplayHops {
		f.Note = fmt.Sprintf("%d frames; the first %d are listed", n, maxReplayHops)
	}
}
