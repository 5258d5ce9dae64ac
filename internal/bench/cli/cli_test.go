package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/bench/report"
)

func writeResult(t *testing.T, dir, name string, oursRuns, refRuns []float64) string {
	t.Helper()
	r := &report.Result{Schema: report.Schema, Runs: len(oursRuns), Machine: report.Machine{Date: time.Unix(0, 0)}}
	size := map[string]string{"size": "64"}
	refKey := report.Key("throughput/kernel-tc-mirred/zero-loss-rate", size)
	r.Add(report.Measurement{Name: "throughput/kernel-tc-mirred/zero-loss-rate", Group: "reference", Params: size, Unit: "pps", Runs: refRuns, HigherIsBetter: true, Informational: true})
	r.Add(report.Measurement{Name: "throughput/ours/zero-loss-rate", Group: "ours", Params: size, Unit: "pps", Runs: oursRuns, HigherIsBetter: true, Reference: refKey})
	if err := r.ComputeRatios(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := r.Write(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCompareExitCodes(t *testing.T) {
	dir := t.TempDir()
	old := writeResult(t, dir, "old.json", []float64{90, 100, 110}, []float64{100, 100, 100})
	same := writeResult(t, dir, "same.json", []float64{45, 50, 55}, []float64{50, 50, 50}) // slower machine, same ratio
	worse := writeResult(t, dir, "worse.json", []float64{60, 70, 80}, []float64{100, 100, 100})
	ctx := context.Background()
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"same ratio on a slower machine", []string{"compare", old, same, "--tolerance", "0.05"}, ExitOK, "ok"},
		{"ours fell against the reference", []string{"compare", "--tolerance", "0.1", old, worse}, ExitRegression, "REGRESSED | throughput/ours/zero-loss-rate{size=64} | ratio to throughput/kernel-tc-mirred/zero-loss-rate"},
		{"a wide tolerance forgives", []string{"compare", old, worse, "--tolerance=0.5"}, ExitOK, "0 of 1 figures regressed"},
		{"one file", []string{"compare", old}, ExitUsage, ""},
		{"missing file", []string{"compare", old, filepath.Join(dir, "nope.json")}, ExitUsage, ""},
		{"negative tolerance", []string{"compare", old, same, "--tolerance", "-1"}, ExitUsage, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main(ctx, c.args, &out, &errb, nil)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.code, out.String(), errb.String())
			}
			if c.want != "" && !strings.Contains(out.String(), c.want) {
				t.Fatalf("output lacks %q:\n%s", c.want, out.String())
			}
		})
	}
}

func TestCompareRejectsAnInvalidResult(t *testing.T) {
	dir := t.TempDir()
	good := writeResult(t, dir, "good.json", []float64{1}, []float64{1})
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"schema":"mirrorlab-bench/v1","measurements":[{"name":"x","runs":[1],"median":1,"min":1,"max":1}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := Main(context.Background(), []string{"compare", good, bad}, &out, &errb, nil); code != ExitUsage {
		t.Fatalf("exit %d, want %d", code, ExitUsage)
	}
	if !strings.Contains(errb.String(), "unit is empty") {
		t.Fatalf("stderr does not name the problem: %s", errb.String())
	}
}

func TestBenchUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main(context.Background(), []string{"--runs", "0", "--only", "nonsense"}, &out, &errb, nil); code != ExitUsage {
		t.Fatalf("exit %d, want %d (stderr %s)", code, ExitUsage, errb.String())
	}
	if !strings.Contains(errb.String(), `unknown part "nonsense"`) {
		t.Fatalf("stderr: %s", errb.String())
	}
	if code := Main(context.Background(), []string{"--sizes", "64,abc"}, &out, &errb, nil); code != ExitUsage || !strings.Contains(errb.String(), `"abc" is not a positive number`) {
		t.Fatalf("bad --sizes: exit %d, stderr %s", code, errb.String())
	}
	if code := Main(context.Background(), []string{"--sizes", "20000"}, &out, &errb, nil); code != ExitUsage || !strings.Contains(errb.String(), "8947") {
		t.Fatalf("oversize --sizes: exit %d, stderr %s", code, errb.String())
	}
	if code := Main(context.Background(), []string{"extra"}, &out, &errb, nil); code != ExitUsage {
		t.Fatalf("stray argument: exit %d", code)
	}
}

// Go's flag package takes a usage's first backquoted word as the flag's
// value name: every flag's line must read "-name type-or-name", never a
// phrase cut out of its description.
func TestUsageValueNames(t *testing.T) {
	var out bytes.Buffer
	run(context.Background(), []string{"-h"}, &out, &out, nil)
	if !strings.Contains(out.String(), "-state-dir directory\n") {
		t.Fatalf("bench -h:\n%s", out.String())
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "  -") && len(strings.Fields(line)) > 2 {
			t.Errorf("a value name of more than one word: %q", line)
		}
	}
}
