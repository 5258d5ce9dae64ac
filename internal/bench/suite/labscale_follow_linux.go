package suite

import (
	"context"
	"errors"
	"runtime/debug"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/bench/labfollow"
)

// labFollowRounds is how many instances are added to and removed from a
// running lab per size and run (their median is the figure), after one
// warm-up round: the first change to a freshly built lab of 1000 takes
// several times longer (0.6 s against 60-150 ms on the loaded 2-core
// machine) and is logged, not counted, since the goal is about a lab
// already running.
const labFollowRounds = 5

func labAddSpec(n int) spec {
	return spec{name: "labscale/ours/add-instance", group: "ours", unit: "ms", params: sourcesParams(n), informational: true}
}

func labRemoveSpec(n int) spec {
	return spec{name: "labscale/ours/remove-instance", group: "ours", unit: "ms", params: sourcesParams(n), informational: true}
}

// labScaleFollow builds a running, served lab of n instances and adds and
// removes one instance labFollowRounds times (labfollow, as lab's
// BenchmarkFollowAddInstance): the medians of the time until the new
// instance's packets are mirrored and of the time to remove it.
func (b *bench) labScaleFollow(ctx context.Context, run, n int) (err error) {
	debug.FreeOSMemory() // the previous lab's garbage is not this one's cost
	f, err := labfollow.Build(ctx, n, b.cfg.StateDir)
	if err != nil {
		return err
	}
	warmAdd, warmRemove, err := f.Round(ctx)
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
	b.cfg.logf("  run %d lab scale %d instances running: add one %.1f ms, remove one %.1f ms (median of %d; warm-up round not counted: %.1f ms, %.1f ms)",
		run, n, msOf(add), msOf(remove), labFollowRounds, msOf(warmAdd), msOf(warmRemove))
	return nil
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 }
