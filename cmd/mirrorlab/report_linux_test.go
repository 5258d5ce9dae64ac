package main

import (
	"encoding/json"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
)

// TestPrivilegedRunShardHTML runs the second of two shares of {vni,
// rule-order} (sorted by name: vni) with every report, end to end.
func TestPrivilegedRunShardHTML(t *testing.T) {
	privtest.Require(t)
	dir := t.TempDir()
	j, x, h := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml"), filepath.Join(dir, "r.html")
	code, out, errOut := mainOut(t, "run", "vni", "rule-order", "--shard", "2/2", "--state-dir", dir,
		"--json", j, "--junit", x, "--html", h)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "shard 2/2: 1 of 2 scenarios: vni") {
		t.Errorf("the run does not say which share it ran:\n%s", out)
	}
	// not a terminal: progress lines, never a status line redrawn in place
	if strings.Contains(out, "\r") || !strings.Contains(out, "building the VPC") {
		t.Errorf("progress on a non-terminal:\n%q", out)
	}
	var results []*report.Result
	if err := json.Unmarshal(mustRead(t, j), &results); err != nil || len(results) != 1 || results[0].Scenario != "vni" {
		t.Fatalf("JSON: %v, %+v", err, results)
	}
	if len(results[0].Timeline) != 7 {
		t.Errorf("timeline %+v", results[0].Timeline)
	}
	page := string(mustRead(t, h))
	for _, want := range []string{`data-session="web-session"`, `data-session="db-session"`, "VNI 4242", `class="phase"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	// the shard's reports merge with another's
	code, out, _ = mainOut(t, "report", "merge", j, j, x, x)
	if code != 0 || !strings.Contains(out, "2 of 2 scenarios passed") {
		t.Fatalf("merge: exit %d: %s", code, out)
	}
}
