package workload

import (
	"slices"
	"time"
)

// ArrivalComparison is how a replay destination's numbered requests (dst)
// match production's (prod): completeness and lag quantiles over the ids
// production served. The lag of an id is the time between its two arrivals.
type ArrivalComparison struct {
	Served, Replayed uint64
	Completeness     float64
	LagP50, LagP99   time.Duration
}

// CompareArrivals computes the ArrivalComparison of two Servers' Arrivals.
func CompareArrivals(prod, dst map[uint64]time.Time) ArrivalComparison {
	r := ArrivalComparison{Served: uint64(len(prod))}
	lags := make([]time.Duration, 0, len(prod))
	for id, t0 := range prod {
		if t1, ok := dst[id]; ok {
			r.Replayed++
			lags = append(lags, t1.Sub(t0))
		}
	}
	if r.Served > 0 {
		r.Completeness = float64(r.Replayed) / float64(r.Served)
	}
	if len(lags) > 0 {
		slices.Sort(lags)
		r.LagP50 = quantile(lags, 0.50)
		r.LagP99 = quantile(lags, 0.99)
	}
	return r
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted)-1) + 0.5)
	return sorted[min(i, len(sorted)-1)]
}
