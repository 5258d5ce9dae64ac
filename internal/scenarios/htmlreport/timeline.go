package htmlreport

import (
	"cmp"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
)

// Geometry of the timeline drawing.
const (
	tlWidth  = 1120
	tlLabelW = 150
	tlRight  = 90
	tlRowH   = 24
	tlTop    = 8
)

var phaseColors = map[string]string{
	report.PhaseBuild: "#64748b", report.PhaseDataPlane: "#0e7490", report.PhasePrograms: "#7c3aed",
	report.PhaseTraffic: "#3b82f6", report.PhaseSettle: "#94a3b8", report.PhaseCollect: "#059669",
	report.PhaseTeardown: "#78716c",
}

type timelineView struct {
	Width, Height, AxisY, X0, X1 int
	Rows                         []tlRow
	Ticks                        []tlTick
}

type tlRow struct {
	Label, Color, Dur, Error, Title string
	Y, X, W                         int
	Sub                             bool
}

type tlTick struct {
	X     int
	Label string
}

// timeline draws the run's phases (and its traffic steps under the
// traffic phase) against the time since the run started.
func timeline(res *report.Result) *timelineView {
	if len(res.Timeline) == 0 || res.Started.IsZero() {
		return nil
	}
	origin := res.Started
	end := origin.Add(res.Duration)
	for _, p := range res.Timeline {
		if p.End.After(end) {
			end = p.End
		}
	}
	total := end.Sub(origin)
	if total <= 0 {
		total = time.Millisecond
	}
	v := &timelineView{Width: tlWidth, X0: tlLabelW, X1: tlWidth - tlRight}
	span := v.X1 - v.X0
	x := func(t time.Time) int {
		return v.X0 + int(float64(span)*float64(t.Sub(origin))/float64(total))
	}
	y := tlTop
	add := func(label, color, title string, start time.Time, d time.Duration, sub bool, errText string) {
		r := tlRow{Label: label, Color: color, Title: title, Dur: secs(d), Y: y, X: x(start), Sub: sub, Error: errText}
		r.W = max(x(start.Add(d))-r.X, 2)
		v.Rows = append(v.Rows, r)
		y += tlRowH
	}
	for _, p := range res.Timeline {
		color := cmp.Or(phaseColors[p.Name], "#64748b")
		add(p.Name, color, p.Name, p.Start, p.End.Sub(p.Start), false, p.Error)
		if p.Name != report.PhaseTraffic {
			continue
		}
		for _, t := range res.Traffic {
			if t.Started.IsZero() {
				continue
			}
			add(t.Name, "#93c5fd", "traffic step "+t.Name+" ("+t.Kind+")", t.Started, t.Elapsed, true, "")
		}
	}
	v.AxisY = y + 4
	v.Height = v.AxisY + 24
	step := tickStep(total)
	for t := time.Duration(0); t <= total; t += step {
		v.Ticks = append(v.Ticks, tlTick{X: x(origin.Add(t)), Label: tickLabel(t, step)})
	}
	return v
}

// tickStep is a round interval that puts at most ten ticks on the axis.
func tickStep(total time.Duration) time.Duration {
	for _, s := range []time.Duration{
		10 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond,
		100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond,
		time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 20 * time.Second,
		30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute,
	} {
		if total/s <= 10 {
			return s
		}
	}
	return total / 10
}

func tickLabel(t, step time.Duration) string {
	if step < time.Second {
		return secsFixed(t, 1)
	}
	return secsFixed(t, 0)
}

func secsFixed(t time.Duration, prec int) string {
	return trimFloat(t.Seconds(), prec) + " s"
}
