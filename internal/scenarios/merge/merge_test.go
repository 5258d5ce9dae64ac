package merge

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/workload"
)

func result(name string, verdicts ...bool) *report.Result {
	r := &report.Result{Scenario: name, File: "library/" + name + ".yaml", Provider: "aws", Passed: true,
		Started: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC), Duration: 1500 * time.Millisecond,
		Comparisons: []report.Comparison{{Production: "p", Test: "t", Comparison: workload.Comparison{Production: 10, Test: 10, Matched: 10}}}}
	for i, ok := range verdicts {
		r.Expectations = append(r.Expectations, report.Verdict{Name: name + " expectation " + string(rune('a'+i)), Passed: ok, Want: "= 1", Observed: "1"})
		r.Passed = r.Passed && ok
	}
	return r
}

// write writes the results as run --json and --junit do, and returns the
// two files.
func write(t *testing.T, dir, base string, results ...*report.Result) (jsonPath, junitPath string) {
	t.Helper()
	var j, x bytes.Buffer
	if err := WriteJSON(&j, results); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteJUnit(&x, results); err != nil {
		t.Fatal(err)
	}
	jsonPath, junitPath = filepath.Join(dir, base+".json"), filepath.Join(dir, base+".xml")
	if err := os.WriteFile(jsonPath, j.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(junitPath, x.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return jsonPath, junitPath
}

func TestFilesJoinsShards(t *testing.T) {
	dir := t.TempDir()
	s1 := []*report.Result{result("rule-order", true, true), result("vni", true)}
	s2 := []*report.Result{result("nlb-two-agents", true, false, true)}
	s3 := []*report.Result{}
	j1, x1 := write(t, dir, "shard-1", s1...)
	j2, x2 := write(t, dir, "shard-2", s2...)
	j3, x3 := write(t, dir, "shard-3", s3...)
	m, err := Files([]string{j1, x1, j2, x2, j3, x3})
	if err != nil {
		t.Fatal(err)
	}
	if m.JSONFiles != 3 || m.JUnitFiles != 3 {
		t.Fatalf("read %d JSON and %d JUnit files, want 3 and 3", m.JSONFiles, m.JUnitFiles)
	}
	// JSON: every result, in the order of the files, unchanged
	want := append(append([]*report.Result{}, s1...), s2...)
	var wb, gb bytes.Buffer
	_ = WriteJSON(&wb, want)
	_ = WriteJSON(&gb, m.Results)
	if wb.String() != gb.String() {
		t.Fatalf("merged JSON differs from the shards' results joined:\n%s\nwant\n%s", gb.String(), wb.String())
	}
	// JUnit: the suites of all shards; totals summed
	j := m.junit
	if len(j.Suites) != 3 || j.Suites[2].Name != "nlb-two-agents" {
		t.Fatalf("merged suites %+v", j.Suites)
	}
	if j.Tests != 6 || j.Failures != 1 || j.Errors != 0 {
		t.Fatalf("totals: %d tests, %d failures, %d errors; want 6, 1, 0", j.Tests, j.Failures, j.Errors)
	}
	if m.Passed() {
		t.Fatal("a failed expectation in shard 2, and the merge passed")
	}
	if got := m.Summary(); !strings.Contains(got, "2 of 3 scenarios passed") || !strings.Contains(got, "6 tests, 1 failures") {
		t.Fatalf("summary %q", got)
	}
	// the merged JUnit reads back the same
	var out bytes.Buffer
	if err := m.WriteJUnit(&out); err != nil {
		t.Fatal(err)
	}
	again, err := readJUnit("merged", bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	again.XMLName = j.XMLName
	if !reflect.DeepEqual(again, j) {
		t.Fatalf("merged JUnit does not read back the same:\n%+v\n%+v", again, j)
	}
	// and a merge of merges is a merge
	mj := filepath.Join(dir, "merged.json")
	mx := filepath.Join(dir, "merged.xml")
	os.WriteFile(mj, gb.Bytes(), 0o644)
	os.WriteFile(mx, out.Bytes(), 0o644)
	m2, err := Files([]string{mj, mx})
	if err != nil {
		t.Fatal(err)
	}
	if len(m2.Results) != 3 || m2.junit.Tests != 6 || m2.junit.Failures != 1 {
		t.Fatalf("merging the merged files: %d results, %d tests, %d failures", len(m2.Results), m2.junit.Tests, m2.junit.Failures)
	}
}

func TestFilesAllPassed(t *testing.T) {
	dir := t.TempDir()
	j1, x1 := write(t, dir, "a", result("a", true))
	j2, x2 := write(t, dir, "b", result("b", true, true))
	m, err := Files([]string{j1, j2, x1, x2})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Passed() || m.junit.Tests != 3 {
		t.Fatalf("passed %v, %d tests", m.Passed(), m.junit.Tests)
	}
	// a run error (a JUnit <error>) fails the merge too
	r := result("c", true)
	r.Error, r.Passed = "build the VPC: boom", false
	_, x3 := write(t, dir, "c", r)
	m, err = Files([]string{x1, x3})
	if err != nil {
		t.Fatal(err)
	}
	if m.Passed() || m.junit.Errors != 1 {
		t.Fatalf("passed %v with %d errors", m.Passed(), m.junit.Errors)
	}
}

// TestReadJUnitOtherTools: a single <testsuite> root, skips, and totals
// that the cases contradict (recounted from the cases).
func TestReadJUnitOtherTools(t *testing.T) {
	const doc = `<?xml version="1.0"?>
<testsuite name="other" tests="9" failures="0" time="0.5">
  <properties><property name="go.version" value="go1.26"/></properties>
  <testcase name="a" classname="x" time="0.1"/>
  <testcase name="b" classname="x"><skipped message="later"/></testcase>
  <testcase name="c" classname="x"><failure message="no" type="assert">want 1</failure></testcase>
</testsuite>`
	j, err := readJUnit("other.xml", strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if j.Tests != 3 || j.Failures != 1 || j.Skipped != 1 || j.Time != 0.5 {
		t.Fatalf("totals %+v", j)
	}
	s := j.Suites[0]
	if s.Properties == nil || s.Properties.Property[0].Value != "go1.26" || s.Cases[2].Failures[0].Text != "want 1" {
		t.Fatalf("lost detail: %+v", s)
	}
}

func TestFilesRefusesWhatItCannotRead(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, body, want string }{
		{"empty.json", "  \n", "empty.json: empty file"},
		{"text.txt", "PASS all", "neither JSON results"},
		{"other.json", `[{"name": "x"}]`, "names no scenario"},
		{"noname.json", `[{"passed": true}]`, "names no scenario"},
		{"html.xml", "<html><body/></html>", "root element is <html>"},
		{"broken.xml", "<testsuites>\n<testsuite name=\"a\">\n<testcase>\n</testsuites>", "broken.xml:"},
	} {
		p := filepath.Join(dir, c.name)
		if err := os.WriteFile(p, []byte(c.body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Files([]string{p})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.name) {
			t.Errorf("%s: error %v, want one naming the file and saying %q", c.name, err, c.want)
		}
	}
	if _, err := Files([]string{filepath.Join(dir, "missing.json")}); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("a missing file: %v", err)
	}
}

func TestReadJSONSingleObject(t *testing.T) {
	b, _ := json.Marshal(result("one", true))
	rs, err := readJSON("one.json", bytes.NewReader(b))
	if err != nil || len(rs) != 1 || rs[0].Scenario != "one" {
		t.Fatalf("%v, %v", rs, err)
	}
}

func TestWriteJUnitWithoutJUnitFiles(t *testing.T) {
	var out bytes.Buffer
	err := (&Merged{}).WriteJUnit(&out)
	if err == nil || !strings.Contains(err.Error(), "no JUnit XML") || out.Len() != 0 {
		t.Fatalf("WriteJUnit with no JUnit file read: err %v, wrote %q", err, out.String())
	}
}
