package lab_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/bench/labfollow"
	"github.com/mirrorlab/mirrorlab/internal/privtest"
)

// BenchmarkFollowAddInstance: on a running, served lab of N instances
// (every ENI captured), one instance is added with a session on its ENI,
// and the time until the target receives the first copy of a datagram
// sent to it is measured (add-ms, median); then it is removed again
// (remove-ms, median: until the lab and the mirror service are rid of
// it). The first change to the freshly built lab is reported apart
// (first-add-ms, first-remove-ms) and left out of the medians. N=1000
// runs with MIRRORLAB_BENCH_LARGE=1. The lab-scale part of
// mirrorlab bench measures the same (labfollow) at its sizes.
func BenchmarkFollowAddInstance(b *testing.B) {
	sizes := []int{100}
	if os.Getenv("MIRRORLAB_BENCH_LARGE") != "" {
		sizes = append(sizes, 1000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("instances=%d", n), func(b *testing.B) { benchFollowAdd(b, n) })
	}
}

func benchFollowAdd(b *testing.B, n int) {
	privtest.Require(b)
	f, err := labfollow.Build(b.Context(), n, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := f.Close(); err != nil {
			b.Error(err)
		}
	})
	firstAdd, firstRemove, err := f.Round(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	var adds, removes []time.Duration
	b.ResetTimer()
	for b.Loop() {
		add, remove, err := f.Round(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		adds, removes = append(adds, add), append(removes, remove)
	}
	b.StopTimer()
	b.ReportMetric(ms(labfollow.Median(adds)), "add-ms")
	b.ReportMetric(ms(labfollow.Median(removes)), "remove-ms")
	b.ReportMetric(ms(firstAdd), "first-add-ms")
	b.ReportMetric(ms(firstRemove), "first-remove-ms")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
