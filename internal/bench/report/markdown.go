package report

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// WriteMarkdown writes the machine line and one table row per measurement:
// median, min–max over the runs, and the median ratio to its same-run
// reference (with the ratios' min–max).
func WriteMarkdown(w io.Writer, r *Result) error {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "Measured %s on %s (%d cores), kernel %s, %s, commit %s; %d run(s) per figure",
		m.Date.UTC().Format("2006-01-02 15:04 UTC"), cmp.Or(m.CPUModel, "—"), m.Cores, cmp.Or(m.Kernel, "—"), cmp.Or(m.GoVersion, "—"), cmp.Or(m.Commit, "—"), r.Runs)
	if r.Smoke {
		b.WriteString(", smoke mode (short trials)")
	}
	b.WriteString(".\n")
	if m.LoadStart > 0 || m.LoadEnd > 0 {
		fmt.Fprintf(&b, "1-minute load average %.1f at the start, %.1f at the end", m.LoadStart, m.LoadEnd)
		if m.Cores > 0 && max(m.LoadStart, m.LoadEnd) > float64(m.Cores) {
			fmt.Fprintf(&b, " (above %d cores: other work shared the machine, figures are noisy)", m.Cores)
		}
		b.WriteString(".\n")
	}
	if m.Note != "" {
		fmt.Fprintf(&b, "%s\n", m.Note)
	}
	for _, t := range r.Summary {
		fmt.Fprintf(&b, "\n%s\n\n", t.Title)
		writeRow(&b, t.Header)
		seps := make([]string, len(t.Header))
		for i := range seps {
			seps[i] = "---"
		}
		writeRow(&b, seps)
		for _, row := range t.Rows {
			writeRow(&b, row)
		}
	}
	if len(r.Summary) > 0 {
		b.WriteString("\nAll figures:\n")
	}
	b.WriteString("\n| group | measurement | parameters | median | min–max | unit | vs reference (median, min–max) | note |\n")
	b.WriteString("|---|---|---|---:|---:|---|---|---|\n")
	for i := range r.Measurements {
		x := &r.Measurements[i]
		ratio := ""
		if x.Reference != "" && x.Ratio != nil {
			ratio = fmt.Sprintf("%s × %s (%s–%s)", fmtNum(x.Ratio.Median), refName(x.Reference),
				fmtNum(x.Ratio.Min), fmtNum(x.Ratio.Max))
		} else if x.Reference != "" {
			ratio = "n/a (" + refName(x.Reference) + " missing)"
		}
		note := x.Note
		median, span := fmtNum(x.Median), fmtNum(x.Min)+"–"+fmtNum(x.Max)
		if x.Error != "" {
			median, span = "—", "—"
			note = strings.TrimSpace("not measured: " + x.Error + " " + note)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", x.Group, x.Name, fmtParams(x.Params),
			median, span, x.Unit, ratio, cell(note))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\n- %s", cell(n))
	}
	if len(r.Notes) > 0 {
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("write markdown: %w", err)
	}
	return nil
}

func writeRow(b *strings.Builder, cells []string) {
	b.WriteString("|")
	for _, c := range cells {
		b.WriteString(" " + cell(c) + " |")
	}
	b.WriteString("\n")
}

// FormatNumber prints a figure the way the tables do: three significant
// digits, thousands grouped.
func FormatNumber(v float64) string { return fmtNum(v) }

// FormatRange prints "median (min–max)".
func FormatRange(m *Measurement) string {
	if m == nil || m.Error != "" || len(m.Runs) == 0 {
		return "—"
	}
	if m.Min == m.Max {
		return fmtNum(m.Median)
	}
	return fmtNum(m.Median) + " (" + fmtNum(m.Min) + "–" + fmtNum(m.Max) + ")"
}

// FormatRatio prints a measurement's ratio to its reference as "0.91×
// (0.85–0.97)", or "—".
func FormatRatio(m *Measurement) string {
	if m == nil || m.Ratio == nil {
		return "—"
	}
	if m.Ratio.Min == m.Ratio.Max {
		return fmtNum(m.Ratio.Median) + "×"
	}
	return fmtNum(m.Ratio.Median) + "× (" + fmtNum(m.Ratio.Min) + "–" + fmtNum(m.Ratio.Max) + ")"
}

func refName(key string) string {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		return key[:i]
	}
	return key
}

func fmtParams(p map[string]string) string {
	keys := slices.Sorted(maps.Keys(p))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + p[k]
	}
	return cell(strings.Join(parts, " "))
}

func cell(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	return strings.ReplaceAll(s, "\n", " ")
}

// fmtNum prints a figure with three significant digits, grouping large ones.
func fmtNum(v float64) string {
	a := v
	if a < 0 {
		a = -a
	}
	switch {
	case a == 0:
		return "0"
	case a >= 1000:
		return group(strconv.FormatFloat(v, 'f', 0, 64))
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 0.01:
		return strconv.FormatFloat(v, 'f', 3, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

func group(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ' ')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
