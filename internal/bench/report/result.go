package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"sort"
	"time"
)

// Schema names the version of the JSON layout.
const Schema = "mirrorlab-bench/v1"

// Machine describes where a result was measured.
type Machine struct {
	CPUModel  string    `json:"cpu_model"`
	Cores     int       `json:"cores"`
	Kernel    string    `json:"kernel"`
	GoVersion string    `json:"go_version"`
	Commit    string    `json:"commit"`
	Date      time.Time `json:"date"`
	// LoadStart and LoadEnd are the 1-minute load averages when the run
	// started and ended: above the core count, others were using the CPUs.
	LoadStart float64 `json:"load_avg_start"`
	LoadEnd   float64 `json:"load_avg_end"`
	// Note says anything that affects the figures (a shared, busy machine).
	Note string `json:"note,omitempty"`
}

// Measurement is one figure measured several times.
type Measurement struct {
	// Name identifies the figure across results, e.g. "mirror/ours/zero-loss-rate".
	Name string `json:"name"`
	// Group is "reference", "ours" or "peer".
	Group string `json:"group"`
	// Params are the conditions (packet size, offered load, ...).
	Params map[string]string `json:"params,omitempty"`
	Unit   string            `json:"unit"`
	Runs   []float64         `json:"runs"`
	Median float64           `json:"median"`
	Min    float64           `json:"min"`
	Max    float64           `json:"max"`
	// HigherIsBetter tells compare which way a regression goes.
	HigherIsBetter bool `json:"higher_is_better"`
	// Reference is the Key of a same-run measurement this one is divided
	// by, run by run; Ratio summarises those ratios.
	Reference string `json:"reference,omitempty"`
	Ratio     *Stats `json:"ratio,omitempty"`
	// Informational figures (diagnostics such as the offered rate reached)
	// are shown but not compared.
	Informational bool `json:"informational,omitempty"`
	// Note flags a caveat (e.g. "generator-limited").
	Note string `json:"note,omitempty"`
	// Error says why the figure could not be measured; Runs is then empty.
	Error string `json:"error,omitempty"`
}

// Stats summarises several runs.
type Stats struct {
	Runs   []float64 `json:"runs"`
	Median float64   `json:"median"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
}

// Point is one point of a plotted series; YMin and YMax span the runs.
type Point struct {
	X    float64 `json:"x"`
	Y    float64 `json:"y"`
	YMin float64 `json:"y_min"`
	YMax float64 `json:"y_max"`
}

// Series is one line of a plot.
type Series struct {
	Label string `json:"label"`
	// Color is an SVG colour; empty: one from the palette by position.
	Color  string  `json:"color,omitempty"`
	Points []Point `json:"points"`
}

// Plot is a chart written as an SVG file named ID + ".svg".
type Plot struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Note is a line under the title (a caveat).
	Note   string   `json:"note,omitempty"`
	XLabel string   `json:"x_label"`
	YLabel string   `json:"y_label"`
	LogX   bool     `json:"log_x,omitempty"`
	Series []Series `json:"series"`
}

// Table is a summary table shown before the full list of figures: cells
// are already formatted.
type Table struct {
	Title  string     `json:"title"`
	Header []string   `json:"header"`
	Rows   [][]string `json:"rows"`
}

// Result is everything one bench run produced.
type Result struct {
	Schema       string        `json:"schema"`
	Machine      Machine       `json:"machine"`
	Smoke        bool          `json:"smoke"`
	Runs         int           `json:"runs"`
	Measurements []Measurement `json:"measurements"`
	Plots        []Plot        `json:"plots,omitempty"`
	Summary      []Table       `json:"summary,omitempty"`
	Notes        []string      `json:"notes,omitempty"`
}

// Key identifies a measurement: its name and its sorted parameters.
func (m *Measurement) Key() string {
	return Key(m.Name, m.Params)
}

// Key builds a measurement key from a name and parameters.
func Key(name string, params map[string]string) string {
	if len(params) == 0 {
		return name
	}
	keys := slices.Sorted(maps.Keys(params))
	s := name + "{"
	for i, k := range keys {
		if i > 0 {
			s += ","
		}
		s += k + "=" + params[k]
	}
	return s + "}"
}

// Summarize computes the median, minimum and maximum of runs. NaN runs (a
// failed run) are left out; with none left it returns the zero Stats.
func Summarize(runs []float64) Stats {
	vals := make([]float64, 0, len(runs))
	for _, v := range runs {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			vals = append(vals, v)
		}
	}
	st := Stats{Runs: runs}
	if len(vals) == 0 {
		return st
	}
	sort.Float64s(vals)
	st.Min, st.Max = vals[0], vals[len(vals)-1]
	n := len(vals)
	if n%2 == 1 {
		st.Median = vals[n/2]
	} else {
		st.Median = (vals[n/2-1] + vals[n/2]) / 2
	}
	return st
}

// Add appends a measurement, summarising its runs.
func (r *Result) Add(m Measurement) {
	st := Summarize(m.Runs)
	m.Median, m.Min, m.Max = st.Median, st.Min, st.Max
	r.Measurements = append(r.Measurements, m)
}

// Find returns the measurement with that key, or nil.
func (r *Result) Find(key string) *Measurement {
	for i := range r.Measurements {
		if r.Measurements[i].Key() == key {
			return &r.Measurements[i]
		}
	}
	return nil
}

// ComputeRatios fills Ratio for every measurement naming a Reference, pairing
// run i with the reference's run i. A missing reference is an error naming
// both; a zero or failed reference run leaves that pair out.
func (r *Result) ComputeRatios() error {
	var errs []error
	for i := range r.Measurements {
		m := &r.Measurements[i]
		if m.Reference == "" || m.Error != "" {
			continue
		}
		ref := r.Find(m.Reference)
		if ref == nil {
			errs = append(errs, fmt.Errorf("measurement %s: reference %s not in the result", m.Key(), m.Reference))
			continue
		}
		n := min(len(m.Runs), len(ref.Runs))
		ratios := make([]float64, 0, n)
		for j := 0; j < n; j++ {
			if ref.Runs[j] == 0 || math.IsNaN(ref.Runs[j]) || math.IsNaN(m.Runs[j]) {
				continue
			}
			ratios = append(ratios, m.Runs[j]/ref.Runs[j])
		}
		if len(ratios) == 0 {
			m.Ratio = nil
			continue
		}
		st := Summarize(ratios)
		m.Ratio = &st
	}
	return errors.Join(errs...)
}

// Validate checks a decoded result: schema, and every measurement named with
// a unit and consistent statistics.
func (r *Result) Validate() error {
	var errs []error
	if r.Schema != Schema {
		errs = append(errs, fmt.Errorf("schema %q, want %q", r.Schema, Schema))
	}
	seen := map[string]bool{}
	for i := range r.Measurements {
		m := &r.Measurements[i]
		where := fmt.Sprintf("measurements[%d] (%s)", i, m.Key())
		if m.Name == "" {
			errs = append(errs, fmt.Errorf("measurements[%d]: name is empty", i))
		}
		if m.Unit == "" {
			errs = append(errs, fmt.Errorf("%s: unit is empty", where))
		}
		if seen[m.Key()] {
			errs = append(errs, fmt.Errorf("%s: duplicate measurement", where))
		}
		seen[m.Key()] = true
		if m.Error == "" && len(m.Runs) == 0 {
			errs = append(errs, fmt.Errorf("%s: no runs and no error", where))
		}
		if m.Error == "" && len(m.Runs) > 0 && (m.Min > m.Median || m.Median > m.Max) {
			errs = append(errs, fmt.Errorf("%s: min %g, median %g, max %g out of order", where, m.Min, m.Median, m.Max))
		}
	}
	return errors.Join(errs...)
}

// Write stores r as indented JSON at path.
func (r *Result) Write(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	return nil
}

// Read loads and validates a result written by Write.
func Read(path string) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read result: %w", err)
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode result %s: %w", path, err)
	}
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("result %s: %w", path, err)
	}
	return &r, nil
}
