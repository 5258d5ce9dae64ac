package suite

import (
	"context"
	"slices"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/bench/vpc"
)

// applySpec is the apply latency of a configuration change: a new session
// through the EC2 Query API → the first copy at the target (median of the
// run's rounds).
func applySpec() spec {
	return spec{name: "apply/ours/latency-p50", group: "ours", unit: "ms"}
}

func applyMaxSpec() spec {
	return spec{name: "apply/ours/latency-max", group: "ours", unit: "ms", informational: true}
}

// applyPhase times cfg.ApplyRounds changes (see vpc.Env.ApplyLatency).
func (b *bench) applyPhase(ctx context.Context, run int, env *vpc.Env, mirrorErr error) {
	if mirrorErr != nil {
		b.col.fail(applySpec(), mirrorErr)
		return
	}
	lat, err := env.ApplyLatency(ctx, max(1, b.cfg.ApplyRounds))
	if err != nil {
		b.col.fail(applySpec(), err)
		b.cfg.logf("  run %d apply latency: %v", run, err)
		return
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.col.add(applySpec(), ms(lat[len(lat)/2]))
	b.col.add(applyMaxSpec(), ms(lat[len(lat)-1]))
	b.cfg.logf("  run %d apply latency (API request → first copy at the adapter): p50 %.2f ms, max %.2f ms over %d changes", run,
		ms(lat[len(lat)/2]), ms(lat[len(lat)-1]), len(lat))
}
