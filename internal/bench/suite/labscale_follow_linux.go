package suite

import (
	"context"
	"errors"
	"runtime/debug"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/bench/labfollow"
)

// labFollowRounds is how many instances are added to and removed from a
// running lab per size and run after the first (their median is the
// figure). The first change to a freshly built lab is a figure of its own
// (first-add-instance, first-remove-instance): made right after the
// build it takes several times longer (at 1000: 0.2-0.3 s against 50-100
// ms on the loaded 2-core machine; at 100: 65-150 ms against 20-40),
// made 2 s later it costs what the later ones do, and the API-built lab
// meets it at every start.
const labFollowRounds = 5

func labAddSpec(n int) spec {
	return spec{name: "labscale/ours/add-instance", group: "ours", unit: "ms", params: sourcesParams(n), informational: true}
}

func labRemoveSpec(n int) spec {
	return spec{name: "labscale/ours/remove-instance", group: "ours", unit: "ms", params: sourcesParams(n), informational: true}
}

func labFirstAddSpec(n int) spec {
	return spec{name: "labscale/ours/first-add-instance", group: "ours", unit: "ms", params: sourcesParams(n), informational: true}
}

func labFirstRemoveSpec(n int) spec {
	return spec{name: "labscale/ours/first-remove-instance", group: "ours", unit: "ms", params: sourcesParams(n), informational: true}
}

// labFollowSpecs are the figures of labScaleFollow.
func labFollowSpecs(n int) []spec {
	return []spec{labAddSpec(n), labRemoveSpec(n), labFirstAddSpec(n), labFirstRemoveSpec(n)}
}

// labScaleFollow builds a running, served lab of n instances and adds and
// removes one instance 1+labFollowRounds times (labfollow, as lab's
// BenchmarkFollowAddInstance): the first change's times, and the medians
// of the others' time until the new instance's packets are mirrored and
// of the time to remove it.
func (b *bench) labScaleFollow(ctx context.Context, run, n int) (err error) {
	debug.FreeOSMemory() // the previous lab's garbage is not this one's cost
	f, err := labfollow.Build(ctx, n, b.cfg.StateDir)
	if err != nil {
		return err
	}
	firstAdd, firstRemove, err := f.Round(ctx)
	if err != nil {
		return errors.Join(err, f.Close())
	}
	adds := make([]time.Duration, 0, labFollowRounds)
	removes := make([]time.Duration, 0, labFollowRounds)
	for range labFollowRounds {
		add, remove, err := f.Round(ctx)
		if err != nil {
			return errors.Join(err, f.Close())
		}
		adds, removes = append(adds, add), append(removes, remove)
	}
	if err := f.Close(); err != nil {
		return err
	}
	add, remove := labfollow.Median(adds), labfollow.Median(removes)
	b.col.add(labAddSpec(n), msOf(add))
	b.col.add(labRemoveSpec(n), msOf(remove))
	b.col.add(labFirstAddSpec(n), msOf(firstAdd))
	b.col.add(labFirstRemoveSpec(n), msOf(firstRemove))
	b.cfg.logf("  run %d lab scale %d instances running: first change: add one %.1f ms, remove it %.1f ms; then add one %.1f ms, remove one %.1f ms (median of %d)",
		run, n, msOf(firstAdd), msOf(firstRemove), msOf(add), msOf(remove), labFollowRounds)
	return nil
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 }
