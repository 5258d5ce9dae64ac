package htmlreport

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mirrorlab/mirrorlab/agent/compare"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
)

// responsesView is one agent's response comparison (shadow testing): its
// totals and the per-endpoint table.
type responsesView struct {
	Agent      string
	S          *compare.Stats
	NotCompare uint64 // pairs not compared
	Reasons    string // why, by reason
	Rows       []endpointRow
}

type endpointRow struct {
	E                    compare.EndpointStats
	Status, Header, Body uint64 // regressions by the kind of their first difference
	Fields, NoiseFields  string
	ProdLat, TestLat     string // p50/p99 ms
}

// responses returns the comparisons of the run's agents, in program order.
func responses(res *report.Result) []responsesView {
	var out []responsesView
	for _, p := range res.Programs {
		if p.Compare == nil {
			continue
		}
		v := responsesView{Agent: p.Name, S: p.Compare}
		reasons := make([]string, 0, len(p.Compare.Dropped))
		for k, n := range p.Compare.Dropped {
			v.NotCompare += n
			if n > 0 {
				reasons = append(reasons, k+" "+num(n))
			}
		}
		sort.Strings(reasons)
		v.Reasons = strings.Join(reasons, ", ")
		for _, e := range p.Compare.Endpoints {
			row := endpointRow{E: e, Status: e.DifferentBy["status"], Header: e.DifferentBy["header"], Body: e.DifferentBy["body"],
				NoiseFields: strings.Join(e.NoiseFields, ", "),
				ProdLat:     fmt.Sprintf("%.2f / %.2f", e.ProdP50ms, e.ProdP99ms),
				TestLat:     fmt.Sprintf("%.2f / %.2f", e.TestP50ms, e.TestP99ms)}
			fields := make([]string, 0, len(e.Fields))
			for _, f := range e.Fields {
				fields = append(fields, fmt.Sprintf("%s (%s)", f.Field, num(f.Pairs)))
			}
			row.Fields = strings.Join(fields, ", ")
			v.Rows = append(v.Rows, row)
		}
		out = append(out, v)
	}
	return out
}
