package gen

import (
	"context"
	"fmt"
	"time"
)

// TrialResult is what one trial at an offered rate measured.
type TrialResult struct {
	// Requested is the rate asked for in packets per second (0: as fast as
	// the generator goes); Offered is the rate it actually sent.
	Requested float64       `json:"requested_pps"`
	Offered   float64       `json:"offered_pps"`
	Sent      uint64        `json:"sent"`
	Duration  time.Duration `json:"duration_ns"`
	// Lost is how many of the sent packets (or expected copies) did not
	// arrive; Loss is the largest such fraction over what is checked.
	Lost uint64  `json:"lost"`
	Loss float64 `json:"loss"`
	// Extra holds figures particular to the path (copies delivered, CPU).
	Extra map[string]float64 `json:"extra,omitempty"`
}

// Lossless reports whether nothing was lost.
func (t TrialResult) Lossless() bool { return t.Sent > 0 && t.Lost == 0 }

// MinPace is the share of a paced trial's requested rate the generator must
// reach for the trial to count as lossless at that rate.
const MinPace = 0.9

// Kept reports whether a paced trial offered the rate it was asked for
// (within MinPace); an unpaced one always does.
func (t TrialResult) Kept() bool { return t.Requested == 0 || t.Offered >= MinPace*t.Requested }

// TrialFunc sends at rate packets per second (0: unpaced) for the trial
// duration and reports what was lost.
type TrialFunc func(ctx context.Context, rate float64) (TrialResult, error)

// SearchConfig tunes the search.
type SearchConfig struct {
	// Resolution is the search's stopping width as a fraction of the
	// generator's unpaced rate (e.g. 0.05).
	Resolution float64
	// CurvePoints is how many paced rates between the zero-loss rate and the
	// unpaced rate are measured for the loss curve.
	CurvePoints int
	// Confirmations is how many times the zero-loss rate found may fail a
	// repeat trial and the search resume below it (0: no repeat trial).
	Confirmations int
	// Progress, when set, is told about every trial.
	Progress func(TrialResult)
}

// SearchResult is the outcome of Search.
type SearchResult struct {
	// Best is the lossless trial at the highest offered rate (zero value
	// when even the lowest tried rate lost packets).
	Best  TrialResult `json:"best"`
	Found bool        `json:"found"`
	// Ceiling is the unpaced trial: what the generator could offer.
	Ceiling TrialResult `json:"ceiling"`
	// GeneratorLimited is true when the unpaced trial lost nothing: the path
	// is faster than the generator, and Best is a lower bound.
	GeneratorLimited bool `json:"generator_limited"`
	// Curve holds the trials above Best, by offered rate.
	Curve  []TrialResult `json:"curve"`
	Trials int           `json:"trials"`
	// Confirmed counts the rates that passed once and failed their repeat.
	Confirmed int `json:"failed_confirmations"`
	// Unkept counts paced trials that offered less than MinPace of the
	// rate asked (a busy machine, a blocked generator).
	Unkept int `json:"unkept_trials"`
}

// Search runs the RFC 2544-style search: one unpaced trial gives the
// generator's ceiling; when it lost packets, a binary search over (0,
// ceiling] finds the highest lossless offered rate within Resolution, and a
// repeat trial confirms it (see Confirmations); then CurvePoints rates
// between that and the ceiling give the loss curve.
func Search(ctx context.Context, cfg SearchConfig, trial TrialFunc) (SearchResult, error) {
	var res SearchResult
	run := func(rate float64) (TrialResult, error) {
		if err := ctx.Err(); err != nil {
			return TrialResult{}, err
		}
		res.Trials++
		t, err := trial(ctx, rate)
		if err != nil {
			return t, fmt.Errorf("trial at %.0f pps: %w", rate, err)
		}
		if cfg.Progress != nil {
			cfg.Progress(t)
		}
		return t, nil
	}
	ceil, err := run(0)
	if err != nil {
		return res, err
	}
	res.Ceiling = ceil
	if ceil.Offered <= 0 {
		return res, fmt.Errorf("the generator sent nothing in an unpaced trial")
	}
	if ceil.Lossless() {
		res.Best, res.Found, res.GeneratorLimited = ceil, true, true
		return res, nil
	}
	resol := cfg.Resolution
	if resol <= 0 || resol >= 1 {
		resol = 0.05
	}
	lo, hi := 0.0, ceil.Offered
	for confirmations := 0; ; confirmations++ {
		for hi-lo > resol*ceil.Offered {
			mid := (lo + hi) / 2
			t, err := run(mid)
			if err != nil {
				return res, err
			}
			switch {
			case t.Lossless() && t.Kept():
				lo = mid
				res.Best, res.Found = t, true
			case !t.Kept():
				// The generator (or the machine) could not keep the pace:
				// nothing is known of the rate; count it as not passing.
				res.Unkept++
				hi = mid
			default:
				hi = mid
			}
		}
		if !res.Found || confirmations == cfg.Confirmations {
			break
		}
		// A noisy machine can pass one trial by luck: the rate must pass
		// again, else the search goes on below it.
		t, err := run(res.Best.Requested)
		if err != nil {
			return res, err
		}
		if t.Lossless() && t.Kept() {
			break
		}
		res.Confirmed++
		hi, lo = res.Best.Requested, 0
		res.Best, res.Found = TrialResult{}, false
	}
	for k := 1; k <= cfg.CurvePoints; k++ {
		rate := lo + (ceil.Offered-lo)*float64(k)/float64(cfg.CurvePoints+1)
		t, err := run(rate)
		if err != nil {
			return res, err
		}
		res.Curve = append(res.Curve, t)
	}
	res.Curve = append(res.Curve, ceil)
	return res, nil
}
