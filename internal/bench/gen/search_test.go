package gen

import (
	"context"
	"math"
	"testing"
)

// fakePath loses packets above capacity, and the generator tops out at ceil.
func fakePath(capacity, ceil float64) TrialFunc {
	return func(_ context.Context, rate float64) (TrialResult, error) {
		if rate == 0 || rate > ceil {
			rate = ceil
		}
		sent := uint64(rate)
		t := TrialResult{Requested: rate, Offered: rate, Sent: sent}
		if rate > capacity {
			t.Lost = uint64(rate - capacity)
			t.Loss = float64(t.Lost) / rate
		}
		return t, nil
	}
}

func TestSearchFindsTheZeroLossRate(t *testing.T) {
	var seen int
	cfg := SearchConfig{Resolution: 0.01, CurvePoints: 3, Progress: func(TrialResult) { seen++ }}
	res, err := Search(context.Background(), cfg, fakePath(300_000, 1_000_000))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Found || res.GeneratorLimited {
		t.Fatalf("found %v, generator-limited %v", res.Found, res.GeneratorLimited)
	}
	if res.Best.Offered > 300_000 || res.Best.Offered < 300_000-0.01*1_000_000 {
		t.Fatalf("zero-loss rate %.0f, want within 1%% of ceiling below 300000", res.Best.Offered)
	}
	if len(res.Curve) != 4 || res.Curve[3].Offered != 1_000_000 {
		t.Fatalf("curve %+v, want 3 paced points and the ceiling", res.Curve)
	}
	for i := 1; i < len(res.Curve); i++ {
		if res.Curve[i].Offered <= res.Curve[i-1].Offered || res.Curve[i].Loss < res.Curve[i-1].Loss {
			t.Fatalf("curve not rising: %+v", res.Curve)
		}
	}
	if seen != res.Trials {
		t.Fatalf("progress saw %d trials of %d", seen, res.Trials)
	}
}

func TestSearchGeneratorLimited(t *testing.T) {
	res, err := Search(context.Background(), SearchConfig{}, fakePath(math.Inf(1), 500_000))
	if err != nil {
		t.Fatal(err)
	}
	if !res.GeneratorLimited || res.Best.Offered != 500_000 || res.Trials != 1 {
		t.Fatalf("got %+v, want generator-limited at 500000 after one trial", res)
	}
}

func TestSearchNothingLossless(t *testing.T) {
	res, err := Search(context.Background(), SearchConfig{Resolution: 0.1}, fakePath(0, 1000))
	if err != nil {
		t.Fatal(err)
	}
	if res.Found {
		t.Fatalf("found a zero-loss rate on a path that loses everything: %+v", res.Best)
	}
}

func TestSearchStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Search(ctx, SearchConfig{}, fakePath(1, 2)); err == nil {
		t.Fatal("cancelled search returned no error")
	}
}

// flaky passes one trial at 750 by luck; the repeat fails and the search
// goes on below.
func TestSearchConfirmsTheRate(t *testing.T) {
	lucky := true
	path := fakePath(500, 1000)
	trial := func(ctx context.Context, rate float64) (TrialResult, error) {
		r, err := path(ctx, rate)
		if rate > 700 && rate < 800 && lucky {
			lucky = false
			r.Lost, r.Loss = 0, 0
		}
		return r, err
	}
	res, err := Search(context.Background(), SearchConfig{Resolution: 0.01, Confirmations: 2}, trial)
	if err != nil {
		t.Fatal(err)
	}
	if res.Confirmed != 1 || res.Best.Offered > 500 || res.Best.Offered < 490 {
		t.Fatalf("best %.0f after %d failed confirmations, want ~500 after 1", res.Best.Offered, res.Confirmed)
	}
}

// A trial that could not keep its pace proves nothing about the rate.
func TestSearchIgnoresUnkeptPace(t *testing.T) {
	path := fakePath(600, 1000)
	trial := func(ctx context.Context, rate float64) (TrialResult, error) {
		r, err := path(ctx, rate)
		if rate > 700 && rate < 800 { // stalled: sent almost nothing, lost nothing
			r = TrialResult{Requested: rate, Offered: 1, Sent: 1}
		}
		return r, err
	}
	res, err := Search(context.Background(), SearchConfig{Resolution: 0.01}, trial)
	if err != nil {
		t.Fatal(err)
	}
	if res.Unkept != 1 || res.Best.Offered < 590 || res.Best.Offered > 600 {
		t.Fatalf("best %.0f with %d unkept trials, want ~600 and 1", res.Best.Offered, res.Unkept)
	}
}
