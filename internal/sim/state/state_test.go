package state

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestRunIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 20 {
		id := NewRunID()
		if err := CheckRunID(id); err != nil || len(id) != maxRunIDLen {
			t.Fatalf("NewRunID() = %q: %v", id, err)
		}
		seen[id] = true
	}
	if len(seen) < 15 {
		t.Fatalf("20 run ids, only %d distinct", len(seen))
	}
	for _, bad := range []string{"", "abcdefg", "ABC", "a-b", "a/b"} {
		if CheckRunID(bad) == nil {
			t.Errorf("CheckRunID(%q) accepted it", bad)
		}
	}
	if Prefix("ab12") != "mlab12-" {
		t.Errorf("Prefix = %q", Prefix("ab12"))
	}
}

func TestCheckRefusesForeignNames(t *testing.T) {
	for _, ns := range []string{"mlzz9999-x", "other", "mlab12-", "mlab12-../x", "ab12-x"} {
		r := Run{RunID: "ab12", PID: 1, Namespaces: []string{"mlab12-ok", ns}}
		if err := r.check(); err == nil || !strings.Contains(err.Error(), ns) {
			t.Errorf("Check accepted namespace %q (%v)", ns, err)
		}
	}
	if err := (&Run{RunID: "ab12", PID: 0}).check(); err == nil {
		t.Error("Check accepted pid 0")
	}
}

func TestCreateLoadListRemove(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	pid, start, err := Self()
	if err != nil {
		t.Fatal(err)
	}
	r := &Run{RunID: "ab12", PID: pid, StartTime: start, Namespaces: []string{"mlab12-a", "mlab12-fabric.v"}}
	if err := Create(dir, r); err != nil {
		t.Fatal(err)
	}
	if err := Create(dir, r); err == nil {
		t.Fatal("a second run with the same id: want an error")
	}
	got, err := Load(dir, "ab12")
	if err != nil {
		t.Fatal(err)
	}
	if got.PID != pid || got.StartTime != start || len(got.Namespaces) != 2 || got.Namespaces[1] != "mlab12-fabric.v" {
		t.Fatalf("Load = %+v", got)
	}
	ids, err := List(dir)
	if err != nil || len(ids) != 1 || ids[0] != "ab12" {
		t.Fatalf("List = %v, %v (temporary files must not count)", ids, err)
	}
	// A live owner: Sweep leaves the run alone (and so needs no root here).
	removed, err := Sweep(dir)
	if err != nil || len(removed) != 0 {
		t.Fatalf("Sweep of a live run = %v, %v", removed, err)
	}
	if _, err := Load(dir, "ab12"); err != nil {
		t.Fatalf("Sweep touched a live run: %v", err)
	}
	files := filepath.Join(RunDir(dir, "ab12"), "userdata", "i-1")
	if err := os.MkdirAll(files, 0o700); err != nil {
		t.Fatal(err)
	}
	if ids, _ := List(dir); len(ids) != 1 {
		t.Fatalf("List with a run directory = %v", ids)
	}
	if err := Remove(dir, "ab12"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(RunDir(dir, "ab12")); !os.IsNotExist(err) {
		t.Fatalf("the run's directory after Remove: %v", err)
	}
	if err := Remove(dir, "ab12"); err != nil {
		t.Fatalf("removing a missing state file: %v", err)
	}
	if ids, _ := List(dir); len(ids) != 0 {
		t.Fatalf("List after Remove = %v", ids)
	}
}

func TestLoadRejectsDamagedFiles(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"aa1":  `{"run_id":"aa2","pid":1}`,
		"aa3":  `{"run_id":"aa3","pid":1,"namespaces":["mlzz-x"]}`,
		"aa4":  `not json`,
		"aa5x": `{"run_id":"aa5x","pid":-4}`,
	}
	for id, body := range cases {
		if err := os.WriteFile(filepath.Join(dir, id+".json"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(dir, id); err == nil {
			t.Errorf("Load accepted %s: %s", id, body)
		}
	}
	removed, err := Sweep(dir)
	if err == nil || len(removed) != 0 {
		t.Fatalf("Sweep over damaged files = %v, %v; want an error and nothing removed", removed, err)
	}
	for id := range cases {
		if _, err := os.Stat(filepath.Join(dir, id+".json")); err != nil {
			t.Errorf("Sweep removed the damaged %s", id)
		}
	}
}

func TestAlive(t *testing.T) {
	pid, start, err := Self()
	if err != nil {
		t.Fatal(err)
	}
	if !Alive(pid, start) {
		t.Fatal("this process is not alive")
	}
	if Alive(pid, start+1) {
		t.Fatal("a reused PID (other start time) counts as the owner")
	}
	if Alive(1<<30, 0) {
		t.Fatal("a PID that cannot exist is alive")
	}
}

func TestParseStat(t *testing.T) {
	line := "4242 (a b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100\n"
	start, zombie, err := parseStat([]byte(line))
	if err != nil || zombie || start != 987654 {
		t.Fatalf("parseStat = %d, %v, %v; want 987654", start, zombie, err)
	}
	z := strings.Replace(line, ") S ", ") Z ", 1)
	if _, zombie, _ := parseStat([]byte(z)); !zombie {
		t.Fatal("state Z is not a zombie")
	}
	for _, bad := range []string{"", "1 (x) S 1 2", "1 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 x 20"} {
		if _, _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q) accepted it", bad)
		}
	}
	s, zombie, err := StartTime(os.Getpid())
	if err != nil || zombie || s == 0 {
		t.Fatalf("StartTime(self) = %d, %v, %v", s, zombie, err)
	}
}

// TestReplaceKeepsOneFile: Replace rewrites a run's file in place (the
// lab's payload included), leaves no temporary file behind, and refuses a
// record that Check refuses, leaving the old file as it was.
func TestReplaceKeepsOneFile(t *testing.T) {
	dir := t.TempDir()
	r := &Run{RunID: "ab12", PID: 1, Namespaces: []string{"mlab12-a"}}
	if err := Create(dir, r); err != nil {
		t.Fatal(err)
	}
	r.Lab = []byte(`{"runId":"ab12","kept":true}`)
	if err := Replace(dir, r); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir, "ab12")
	if err != nil {
		t.Fatal(err)
	}
	var lab struct {
		RunID string `json:"runId"`
		Kept  bool   `json:"kept"`
	}
	if json.Unmarshal(got.Lab, &lab) != nil || lab.RunID != "ab12" || !lab.Kept || len(got.Namespaces) != 1 {
		t.Fatalf("after Replace: %+v", got)
	}
	bad := *r
	bad.Namespaces = []string{"other"}
	if err := Replace(dir, &bad); err == nil {
		t.Fatal("Replace accepted a foreign namespace")
	}
	if got, err := Load(dir, "ab12"); err != nil || got.Namespaces[0] != "mlab12-a" {
		t.Fatalf("a refused Replace changed the file: %+v, %v", got, err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("files in the state directory: %v, want only ab12.json", ents)
	}
}

// BenchmarkReplace1000: rewriting the state file of a lab of 1000
// namespaces, as every change to a running lab does (twice: Grow records
// the new namespaces, Shrink forgets the old ones). Run it with the state
// directory on a disk (-benchdir is not a flag: TMPDIR decides) to see
// what a sync would cost.
func BenchmarkReplace1000(b *testing.B) {
	dir := b.TempDir()
	r := &Run{RunID: "ab12", PID: 1}
	for i := range 1000 {
		r.Namespaces = append(r.Namespaces, Prefix(r.RunID)+"src"+strconv.Itoa(i))
	}
	if err := Create(dir, r); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := Replace(dir, r); err != nil {
			b.Fatal(err)
		}
	}
}
