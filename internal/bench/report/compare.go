package report

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// Finding is the comparison of one measurement between two results.
type Finding struct {
	Key string `json:"key"`
	// Basis is "ratio to <reference>" when both results carry a same-run
	// ratio to the same reference (what is compared then), else "absolute"
	// (with the reason when the reference changed).
	Basis string  `json:"basis"`
	Old   float64 `json:"old"`
	New   float64 `json:"new"`
	// Change is (new-old)/old, signed so that negative is worse; for an old
	// value of zero it is the absolute difference, signed the same way.
	Change    float64 `json:"change"`
	Regressed bool    `json:"regressed"`
	// Why explains a regression that is not a number (missing, failed).
	Why string `json:"why,omitempty"`
	// Added marks a figure the old result did not have (shown with its new
	// value; never a regression).
	Added bool `json:"added,omitempty"`
}

// Compare checks every non-informational measurement of old against new.
// A figure regresses when it moved the wrong way by more than tolerance (a
// fraction: 0.1 = 10%); when both sides have a ratio to a same-run reference
// the ratios are compared instead of the absolute figures, so a slower
// machine does not read as a regression; ratios to different references
// are not comparable, so such a figure falls back to its absolute value. A figure measured in old but
// missing or failed in new also regresses. Figures only new has come last,
// marked Added.
func Compare(old, new *Result, tolerance float64) []Finding {
	var out []Finding
	for i := range old.Measurements {
		o := &old.Measurements[i]
		if o.Informational || o.Error != "" {
			continue
		}
		f := Finding{Key: o.Key(), Basis: "absolute", Old: o.Median}
		n := new.Find(o.Key())
		switch {
		case n == nil:
			f.Regressed, f.Why = true, "missing in the new result"
		case n.Error != "":
			f.Regressed, f.Why = true, "not measured in the new result: "+n.Error
		default:
			f.New = n.Median
			switch {
			case o.Ratio != nil && n.Ratio != nil && o.Reference == n.Reference:
				f.Basis = "ratio to " + refName(o.Reference)
				f.Old, f.New = o.Ratio.Median, n.Ratio.Median
			case o.Ratio != nil && n.Ratio != nil:
				// Ratios to different references measure different things.
				f.Basis = "absolute (reference changed from " + refName(o.Reference) +
					" to " + refName(n.Reference) + ")"
			}
			f.Change = change(f.Old, f.New, o.HigherIsBetter)
			f.Regressed = f.Change < -tolerance
			if f.Regressed && f.Basis == "absolute" && belowLatencyFloor(f.Old, f.New, o.Unit) {
				f.Regressed, f.Why = false, fmt.Sprintf("within the %v floor for latencies", LatencyFloor)
			}
		}
		out = append(out, f)
	}
	for i := range new.Measurements {
		n := &new.Measurements[i]
		if n.Informational || n.Error != "" || old.Find(n.Key()) != nil {
			continue
		}
		f := Finding{Key: n.Key(), Basis: "absolute", New: n.Median, Added: true}
		if n.Ratio != nil {
			f.Basis, f.New = "ratio to "+refName(n.Reference), n.Ratio.Median
		}
		out = append(out, f)
	}
	return out
}

// LatencyFloor is the smallest absolute change of a latency that can count
// as a regression: on the shared 2-core machines a sub-millisecond p50 moves
// by tenths of a millisecond from run to run (0.8 → 0.96 ms is +20% and
// means nothing), so a relative tolerance alone flags noise.
const LatencyFloor = time.Millisecond

// belowLatencyFloor reports whether old and new are durations (by their
// unit) that differ by less than LatencyFloor.
func belowLatencyFloor(old, new float64, unit string) bool {
	scale, ok := map[string]time.Duration{"ns": time.Nanosecond, "us": time.Microsecond, "µs": time.Microsecond,
		"ms": time.Millisecond, "s": time.Second}[unit]
	if !ok {
		return false
	}
	return math.Abs(new-old)*float64(scale) < float64(LatencyFloor)
}

func change(old, new float64, higherIsBetter bool) float64 {
	var c float64
	if old == 0 {
		c = new - old
	} else {
		c = (new - old) / math.Abs(old)
	}
	if !higherIsBetter {
		c = -c
	}
	if c == 0 {
		return 0 // not -0
	}
	return c
}

// Regressions counts the regressed findings.
func Regressions(fs []Finding) int {
	n := 0
	for _, f := range fs {
		if f.Regressed {
			n++
		}
	}
	return n
}

// WriteFindings prints a Markdown table of the findings, regressions first
// marked.
func WriteFindings(w io.Writer, fs []Finding, tolerance float64) error {
	var b strings.Builder
	fmt.Fprintf(&b, "| | measurement | basis | old | new | change (+ is better) |\n|---|---|---|---:|---:|---:|\n")
	for _, f := range fs {
		mark := "ok"
		if f.Regressed {
			mark = "REGRESSED"
		}
		if f.Added {
			fmt.Fprintf(&b, "| new | %s | %s | — | %s | new figure |\n", cell(f.Key), f.Basis, fmtNum(f.New))
			continue
		}
		if f.Why != "" {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | — | %s |\n", mark, cell(f.Key), f.Basis, fmtNum(f.Old), cell(f.Why))
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %+.1f%% |\n", mark, cell(f.Key), f.Basis, fmtNum(f.Old), fmtNum(f.New), 100*f.Change)
	}
	fmt.Fprintf(&b, "\n%d of %d figures regressed beyond %.0f%%.\n", Regressions(fs), len(fs), 100*tolerance)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write comparison: %w", err)
	}
	return nil
}
