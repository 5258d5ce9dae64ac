package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mirrorlab/mirrorlab/agent/compare"
)

// compareLines renders an agent's comparison for the terminal: a summary
// line and the per-endpoint table (regressions also by the kind of their
// first difference: status, header, body).
func compareLines(st *compare.Stats) []string {
	var dropped uint64
	for _, v := range st.Dropped {
		dropped += v
	}
	line := fmt.Sprintf("responses: compared %d, identical %d, different %d, noise %d, incomplete %d, not compared %d",
		st.Compared, st.Identical, st.Different, st.Noise, st.Incomplete, dropped)
	if dropped > 0 {
		reasons := make([]string, 0, len(st.Dropped))
		for k, v := range st.Dropped {
			reasons = append(reasons, fmt.Sprintf("%s %d", k, v))
		}
		sort.Strings(reasons)
		line += " (" + strings.Join(reasons, ", ") + ")"
	}
	out := []string{line}
	if len(st.Endpoints) == 0 {
		return out
	}
	w := len("endpoint")
	for _, e := range st.Endpoints {
		w = min(max(w, len(e.Endpoint)), 60)
	}
	row := "  %-*s %8v %9v %6v %9v %6v %6v %6v  %-17s %s"
	out = append(out, strings.TrimRight(fmt.Sprintf(row, w, "endpoint", "compared", "identical", "noise", "different", "status", "header", "body",
		"p50/p99 prod ms", "p50/p99 test ms"), " "))
	for _, e := range st.Endpoints {
		l := fmt.Sprintf(row, w, e.Endpoint, e.Compared, e.Identical, e.Noise, e.Different,
			e.DifferentBy["status"], e.DifferentBy["header"], e.DifferentBy["body"],
			fmt.Sprintf("%.2f/%.2f", e.ProdP50ms, e.ProdP99ms), fmt.Sprintf("%.2f/%.2f", e.TestP50ms, e.TestP99ms))
		if e.Different > 0 && len(e.Fields) > 0 {
			l += "  differs: " + e.Fields[0].Field
		}
		out = append(out, strings.TrimRight(l, " "))
	}
	return out
}
