package report

import (
	"cmp"
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
	"strings"
)

const (
	svgW, svgH             = 720, 420
	padL, padR, padT, padB = 80, 200, 48, 60
)

var (
	palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"}
	// Dashes tell overlapping series apart.
	dashes = []string{"", "8,4", "3,3", "12,4,3,4"}
)

// WriteSVG draws p as a line chart: one polyline per series, a vertical bar
// for each point's min–max over the runs, axes with ticks, and a legend.
func WriteSVG(w io.Writer, p *Plot) error {
	xmin, xmax, ymin, ymax := bounds(p)
	if p.LogX && xmin <= 0 {
		return fmt.Errorf("plot %s: log x axis needs positive x values", p.ID)
	}
	ymin = math.Min(ymin, 0)
	if ymax <= ymin {
		ymax = ymin + 1
	}
	if xmax <= xmin {
		xmax = xmin + 1
	}
	pw, ph := float64(svgW-padL-padR), float64(svgH-padT-padB)
	tx := func(x float64) float64 {
		if p.LogX {
			return padL + pw*(math.Log(x)-math.Log(xmin))/(math.Log(xmax)-math.Log(xmin))
		}
		return padL + pw*(x-xmin)/(xmax-xmin)
	}
	ty := func(y float64) float64 { return padT + ph*(1-(y-ymin)/(ymax-ymin)) }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", svgW, svgH, svgW, svgH)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="15" font-weight="bold">%s</text>`+"\n", padL, esc(p.Title))
	if p.Note != "" {
		fmt.Fprintf(&b, `<text x="%d" y="34" font-size="11" fill="#555">%s</text>`+"\n", padL, esc(p.Note))
	}
	// Axes.
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", padL, svgH-padB, svgW-padR, svgH-padB)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", padL, padT, padL, svgH-padB)
	for _, yt := range ticks(ymin, ymax, 5) {
		y := ty(yt)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", padL, y, svgW-padR, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", padL-6, y+4, esc(tickLabel(yt)))
	}
	xt := ticks(xmin, xmax, 6)
	if p.LogX {
		xt = xticksFromPoints(p)
	}
	for _, v := range xt {
		x := tx(v)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="black"/>`+"\n", x, svgH-padB, x, svgH-padB+5)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x, svgH-padB+18, esc(tickLabel(v)))
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", padL+pw/2, svgH-15, esc(p.XLabel))
	fmt.Fprintf(&b, `<text x="18" y="%.1f" text-anchor="middle" transform="rotate(-90 18 %.1f)">%s</text>`+"\n", padT+ph/2, padT+ph/2, esc(p.YLabel))
	// Series.
	for i, s := range p.Series {
		color := cmp.Or(s.Color, palette[i%len(palette)])
		dash := ""
		if d := dashes[i%len(dashes)]; d != "" {
			dash = ` stroke-dasharray="` + d + `"`
		}
		var pts []string
		for _, pt := range s.Points {
			x, y := tx(pt.X), ty(pt.Y)
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
			if pt.YMax > pt.YMin {
				fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1"/>`+"\n", x, ty(pt.YMin), x, ty(pt.YMax), color)
			}
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", x, y, color)
		}
		if len(pts) > 1 {
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`+"\n", color, dash, strings.Join(pts, " "))
		}
		ly := padT + 10 + 20*i
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s/>`+"\n", svgW-padR+15, ly, svgW-padR+40, ly, color, dash)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", svgW-padR+45, ly+4, esc(s.Label))
	}
	b.WriteString("</svg>\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write plot %s: %w", p.ID, err)
	}
	return nil
}

func esc(s string) string { return html.EscapeString(s) }

func bounds(p *Plot) (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, s := range p.Series {
		for _, pt := range s.Points {
			xmin, xmax = math.Min(xmin, pt.X), math.Max(xmax, pt.X)
			ymin = math.Min(ymin, math.Min(pt.Y, pt.YMin))
			ymax = math.Max(ymax, math.Max(pt.Y, pt.YMax))
		}
	}
	if math.IsInf(xmin, 1) {
		return 1, 2, 0, 1
	}
	return xmin, xmax, ymin, ymax
}

// ticks returns about n round values covering [lo, hi].
func ticks(lo, hi float64, n int) []float64 {
	span := hi - lo
	step := math.Pow(10, math.Floor(math.Log10(span/float64(n))))
	for _, m := range []float64{1, 2, 5, 10} {
		if span/(step*m) <= float64(n) {
			step *= m
			break
		}
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, v)
	}
	return out
}

func xticksFromPoints(p *Plot) []float64 {
	seen := map[float64]bool{}
	var out []float64
	for _, s := range p.Series {
		for _, pt := range s.Points {
			if !seen[pt.X] {
				seen[pt.X] = true
				out = append(out, pt.X)
			}
		}
	}
	return out
}

// tickLabel prints an axis value without padding zeros: 64, 1 400, 0.5.
func tickLabel(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return group(strconv.FormatFloat(v, 'f', 0, 64))
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}
