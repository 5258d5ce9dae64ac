package main

import (
	"bytes"
	"encoding/json"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/scenarios"
)

// shardReports writes what `run --json --junit` writes for results.
func shardReports(t *testing.T, dir, base string, results ...*report.Result) (string, string) {
	t.Helper()
	j, x := filepath.Join(dir, base+".json"), filepath.Join(dir, base+".xml")
	if err := writeJSON(j, nil, results); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := report.WriteJUnit(&b, results); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(x, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return j, x
}

func libResult(name string, passed bool) *report.Result {
	return &report.Result{Scenario: name, File: "library/" + name + ".yaml", Provider: "aws", Passed: passed,
		Started: time.Now(), Duration: time.Second,
		Expectations: []report.Verdict{{Name: "it holds", Passed: passed, Want: "= 1", Observed: "1"}}}
}

func TestReportMerge(t *testing.T) {
	dir := t.TempDir()
	j1, x1 := shardReports(t, dir, "shard-1", libResult("rule-order", true), libResult("vni", true))
	j2, x2 := shardReports(t, dir, "shard-2", libResult("session-priority", true))
	all := filepath.Join(dir, "all")
	code, out, errOut := mainOut(t, "report", "merge", j1, x1, j2, x2, "--json", all+".json", "--junit", all+".xml", "--html", all+".html")
	if code != 0 || !strings.Contains(out, "3 of 3 scenarios passed") || !strings.Contains(out, "3 tests, 0 failures") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	var merged []*report.Result
	if err := json.Unmarshal(mustRead(t, all+".json"), &merged); err != nil || len(merged) != 3 || merged[2].Scenario != "session-priority" {
		t.Fatalf("merged JSON: %v, %d results", err, len(merged))
	}
	if x := string(mustRead(t, all+".xml")); strings.Count(x, "<testsuite ") != 3 || !strings.Contains(x, `tests="3" failures="0" errors="0"`) {
		t.Fatalf("merged JUnit:\n%s", x)
	}
	// the page draws the library's scenarios, found again by their files
	page := string(mustRead(t, all+".html"))
	for _, s := range []string{`data-session="session-1"`, `data-session="web-session"`, "3 of 3 scenarios passed"} {
		if !strings.Contains(page, s) {
			t.Errorf("the merged page lacks %s", s)
		}
	}

	// one failed scenario in one shard fails the merge
	j3, x3 := shardReports(t, dir, "shard-3", libResult("packet-length", false))
	code, out, _ = mainOut(t, "report", "merge", j1, j3, x1, x3)
	if code != 1 || !strings.Contains(out, "2 of 3 scenarios passed") {
		t.Fatalf("with a failure: exit %d\n%s", code, out)
	}
	// JSON on stdout, the summary on stderr
	code, out, errOut = mainOut(t, "report", "merge", j1, j2, "--json", "-")
	if code != 0 || !strings.HasPrefix(strings.TrimSpace(out), "[") || !strings.Contains(errOut, "3 of 3") {
		t.Fatalf("--json -: exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestReportMergeMistakes(t *testing.T) {
	dir := t.TempDir()
	j1, _ := shardReports(t, dir, "a", libResult("vni", true))
	bad := filepath.Join(dir, "notes.txt")
	os.WriteFile(bad, []byte("hello"), 0o644)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"report", "merge"}, 2, "requires at least 1 arg"},
		{[]string{"report", "merge", bad}, 2, "notes.txt: neither JSON results"},
		{[]string{"report", "merge", filepath.Join(dir, "gone.json")}, 2, "gone.json"},
		{[]string{"report", "merge", j1, "--junit", filepath.Join(dir, "x.xml")}, 1, "no JUnit XML among the files"},
	} {
		code, _, errOut := mainOut(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%q: exit %d, %q; want exit %d saying %q", c.args, code, errOut, c.code, c.want)
		}
	}
}

// TestRunShard: the share is chosen before anything is built (so without
// root too), and a bad share is a command-line mistake.
func TestRunShard(t *testing.T) {
	_, names := scenarios.Library()
	var list []*spec.Scenario
	for _, n := range names {
		s, err := scenarios.Load(n)
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, s)
	}
	seen := map[string]int{}
	for i := 1; i <= 4; i++ {
		var b bytes.Buffer
		kept, err := selectShard(list, strings.Replace("I/4", "I", string(rune('0'+i)), 1), &b)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(b.String(), "shard ") || !strings.Contains(b.String(), "of 15 scenarios") && len(list) == 15 {
			t.Errorf("shard %d/4 says %q", i, b.String())
		}
		for _, s := range kept {
			seen[s.Name]++
		}
	}
	for _, s := range list {
		if seen[s.Name] != 1 {
			t.Errorf("%s is in %d of the 4 shards", s.Name, seen[s.Name])
		}
	}
	code, _, errOut := mainOut(t, "run", "rule-order", "--shard", "0/4")
	if code != 2 || !strings.Contains(errOut, "JOB_COMPLETION_INDEX") {
		t.Fatalf("--shard 0/4: exit %d: %s", code, errOut)
	}
}
