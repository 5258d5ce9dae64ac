package htmlreport

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"maps"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
)

//go:embed page.tmpl
var pageText string

//go:embed style.css
var styleText string

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"num":  func(v any) string { return num(v) },
	"pct":  func(f float64) string { return strconv.FormatFloat(100*f, 'f', 1, 64) + "%" },
	"secs": func(d time.Duration) string { return secs(d) },
	"add":  func(a, b int) int { return a + b },
}).Parse(pageText))

// Run is one scenario's run: the scenario as spec.Load (or
// scenarios.Load) returned it, and the runner's result. Scenario may be nil
// (the page then has no topology); Result may not.
type Run struct {
	Scenario *spec.Scenario
	Result   *report.Result
}

// pageView is what the template draws.
type pageView struct {
	Title     string
	Generated string
	Style     template.CSS
	Passed    int
	Runs      []runView
}

type runView struct {
	ID        string
	R         *report.Result
	Desc      string
	Started   string
	Topo      *topoView
	Sessions  []sessionRow
	ENIs      []eniRow
	Timeline  *timelineView
	Failed    int
	Responses []responsesView
}

type sessionRow struct {
	Name, Color, Sources, Target, Filter string
	Number                               int
	VNI                                  uint32
	PacketLength                         string
	C                                    cloudmock.SessionCounters
	Delivered                            uint64
	Lost                                 []string
}

type eniRow struct {
	Name string
	C    cloudmock.ENICounters
	Not  string
}

// WriteFile writes the page for runs to path.
func WriteFile(path string, runs []Run) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	if err := write(f, runs); err != nil {
		f.Close()
		return fmt.Errorf("html report %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	return nil
}

// write writes one self-contained HTML page for runs (one section per
// scenario, a summary first when there are several).
func write(w io.Writer, runs []Run) error {
	pv := pageView{Style: template.CSS(styleText), Generated: time.Now().UTC().Format("2006-01-02 15:04:05 UTC")}
	for i, r := range runs {
		if r.Result == nil {
			return fmt.Errorf("run %d has no result", i)
		}
		rv := view(i, r)
		if r.Result.Passed {
			pv.Passed++
		}
		pv.Runs = append(pv.Runs, rv)
	}
	switch len(runs) {
	case 1:
		pv.Title = "mirrorlab: " + runs[0].Result.Scenario
	default:
		pv.Title = fmt.Sprintf("mirrorlab: %d of %d scenarios passed", pv.Passed, len(runs))
	}
	if err := page.Execute(w, pv); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	return nil
}

func view(i int, r Run) runView {
	res := r.Result
	rv := runView{ID: fmt.Sprintf("run-%d", i+1), R: res, Timeline: timeline(res), Responses: responses(res)}
	if !res.Started.IsZero() {
		rv.Started = res.Started.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	for _, v := range res.Expectations {
		if !v.Passed {
			rv.Failed++
		}
	}
	if r.Scenario != nil {
		rv.Desc = strings.TrimSpace(r.Scenario.Description)
		if len(r.Scenario.Network.VPCs.List) > 0 {
			t := layout(r.Scenario, res)
			rv.Topo = &t
		}
	}
	rv.Sessions = sessionRows(r.Scenario, res)
	names := slices.Sorted(maps.Keys(res.ENIs))
	for _, n := range names {
		c := res.ENIs[n]
		row := eniRow{Name: n, C: c, Not: countsText(c.NotMirrored)}
		if row.Not == "" && c.NetworkPacketsMirrorIn+c.NetworkPacketsMirrorOut+c.NetworkPacketsSkipMirrorIn+c.NetworkPacketsSkipMirrorOut == 0 {
			continue // an interface that no session watches
		}
		rv.ENIs = append(rv.ENIs, row)
	}
	return rv
}

func sessionRows(s *spec.Scenario, res *report.Result) []sessionRow {
	byName := map[string]cloudmock.TrafficMirrorSession{}
	order := map[string]int{}
	if s != nil {
		for i, ss := range s.Mirror.Sessions {
			byName[ss.TrafficMirrorSessionId] = ss
			order[ss.TrafficMirrorSessionId] = i
		}
	}
	var out []sessionRow
	for _, sr := range res.Sessions {
		row := sessionRow{Name: sr.Name, Target: sr.Target, VNI: sr.VNI, C: sr.SessionCounters,
			Delivered: sr.Delivery[cloudmock.Delivered.String()], PacketLength: "whole"}
		if i, ok := order[sr.Name]; ok {
			ss := byName[sr.Name]
			row.Color = palette[i%len(palette)]
			row.Sources = strings.Join(sources(ss), ", ")
			row.Filter = ss.TrafficMirrorFilterId
			row.Number = ss.SessionNumber
			if ss.PacketLength != nil {
				row.PacketLength = fmt.Sprintf("%d bytes", *ss.PacketLength)
			}
		}
		codes := slices.Sorted(maps.Keys(sr.Delivery))
		for _, code := range codes {
			if code != cloudmock.Delivered.String() && sr.Delivery[code] > 0 {
				row.Lost = append(row.Lost, fmt.Sprintf("%s: %s", code, num(sr.Delivery[code])))
			}
		}
		out = append(out, row)
	}
	return out
}

func countsText(m map[string]uint64) string {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if v > 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + num(m[k])
	}
	return strings.Join(parts, ", ")
}

// num writes an integer with thin spaces between groups of three digits.
func num(v any) string {
	var s string
	switch v := v.(type) {
	case int:
		s = strconv.Itoa(v)
	case int64:
		s = strconv.FormatInt(v, 10)
	case uint32:
		s = strconv.FormatUint(uint64(v), 10)
	case uint64:
		s = strconv.FormatUint(v, 10)
	case float64:
		s = strconv.FormatFloat(v, 'f', 0, 64)
	default:
		return fmt.Sprint(v)
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString("\u202f")
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func secs(d time.Duration) string {
	switch {
	case d < 10*time.Millisecond:
		return strconv.FormatFloat(d.Seconds()*1000, 'f', 1, 64) + " ms"
	case d < time.Second:
		return strconv.FormatFloat(d.Seconds()*1000, 'f', 0, 64) + " ms"
	default:
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + " s"
	}
}

func trimFloat(f float64, prec int) string { return strconv.FormatFloat(f, 'f', prec, 64) }
