package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
)

// TestPrivilegedRunJobs runs two small scenarios of the library two at a
// time, then one at a time: both pass, each summary is printed whole, and
// the JSON reports are the same but for times, run ids and the labs.
func TestPrivilegedRunJobs(t *testing.T) {
	privtest.Require(t)
	dir := t.TempDir()
	reports := map[string]any{}
	for _, jobs := range []string{"2", "1"} {
		j := filepath.Join(dir, "jobs"+jobs+".json")
		code, out, errOut := mainOut(t, "run", "vni", "packet-length", "--jobs", jobs, "--state-dir", dir, "--json", j)
		if code != 0 || !strings.Contains(out, "2 of 2 scenarios passed") {
			t.Fatalf("--jobs %s: exit %d\n%s\n%s", jobs, code, out, errOut)
		}
		// every scenario's lines together: header, its progress, its summary
		for _, name := range []string{"vni", "packet-length"} {
			head := strings.Index(out, "=== "+name+" (")
			pass := strings.Index(out, "PASS  "+name+"  (")
			if head < 0 || pass < head || strings.Contains(out[head+4:pass], "=== ") {
				t.Errorf("--jobs %s: the lines of %s are not together:\n%s", jobs, name, out)
			}
		}
		var v any
		var rs []*report.Result
		if err := errors.Join(json.Unmarshal(mustRead(t, j), &v), json.Unmarshal(mustRead(t, j), &rs)); err != nil || len(rs) != 2 {
			t.Fatalf("--jobs %s: JSON: %v, %d results", jobs, err, len(rs))
		}
		// two at a time: the second lab ran while the first was up
		overlap := rs[1].Started.Before(rs[0].Started.Add(rs[0].Duration))
		if overlap != (jobs == "2") {
			t.Errorf("--jobs %s: the runs overlap: %v (%+v)", jobs, overlap, rs)
		}
		reports[jobs] = withoutRunNoise(v)
	}
	if !reflect.DeepEqual(reports["1"], reports["2"]) {
		a, _ := json.MarshalIndent(reports["1"], "", " ")
		b, _ := json.MarshalIndent(reports["2"], "", " ")
		t.Fatalf("the reports differ\n--jobs 1:\n%s\n--jobs 2:\n%s", a, b)
	}
}

// withoutRunNoise drops from a decoded JSON report what differs from run
// to run however the scenarios are scheduled: times, run ids, the labs.
func withoutRunNoise(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, x := range v {
			switch k {
			case "started", "duration", "start", "end", "elapsed", "runId", "lab":
			default:
				m[k] = withoutRunNoise(x)
			}
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, x := range v {
			l[i] = withoutRunNoise(x)
		}
		return l
	}
	return v
}

// TestPrivilegedRunJobsInterrupted: Ctrl-C while two labs run two at a
// time stops both (each torn down, its state file and namespaces gone),
// starts no third, and still writes the report of the two.
func TestPrivilegedRunJobsInterrupted(t *testing.T) {
	privtest.Require(t)
	dir, stateDir := t.TempDir(), t.TempDir()
	j := filepath.Join(dir, "r.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ids []string
	watched := make(chan struct{})
	go func() { // interrupt once both labs have their state file
		defer close(watched)
		defer cancel()
		for range 200 {
			files, _ := filepath.Glob(filepath.Join(stateDir, "*.json"))
			if len(files) == 2 {
				for _, f := range files {
					ids = append(ids, strings.TrimSuffix(filepath.Base(f), ".json"))
				}
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	var out, errOut bytes.Buffer
	code := Main(ctx, []string{"run", "vni", "packet-length", "never-mirrored", "--jobs", "2",
		"--state-dir", stateDir, "--json", j}, &out, &errOut)
	<-watched
	if code == 0 || len(ids) != 2 {
		t.Fatalf("exit %d, labs %v\n%s\n%s", code, ids, out.String(), errOut.String())
	}
	var rs []*report.Result
	if err := json.Unmarshal(mustRead(t, j), &rs); err != nil || len(rs) != 2 {
		t.Fatalf("JSON: %v, %d results (want vni and packet-length only)", err, len(rs))
	}
	for i, name := range []string{"vni", "packet-length"} {
		if rs[i].Scenario != name || rs[i].Passed || !strings.Contains(rs[i].Error, "interrupted") {
			t.Errorf("result %d: %s passed=%v error %q", i, rs[i].Scenario, rs[i].Passed, rs[i].Error)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(stateDir, "*")); len(left) != 0 {
		t.Errorf("left in the state directory: %v", left)
	}
	for _, id := range ids {
		if ns, _ := filepath.Glob("/run/netns/ml" + id + "-*"); len(ns) != 0 {
			t.Errorf("lab %s left namespaces: %v", id, ns)
		}
	}
}
