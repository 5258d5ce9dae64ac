package spec

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// splitAgrees decodes src whole and split (every block sequence of at
// least minItems items that the split can take) and fails unless both give
// the same scenario, positions and problems; it returns how many sequences
// were split.
func splitAgrees(t *testing.T, name string, src []byte, minItems int) int {
	t.Helper()
	runs := runsOutside(src, findRuns(src, 0, minItems))
	if runs == nil {
		return 0
	}
	ctx := context.Background()
	whole, werr := decodeWhole(ctx, name, src)
	split, ok, serr := decodeSplit(ctx, name, src, runs)
	if !ok {
		return 0
	}
	if fmt.Sprint(werr) != fmt.Sprint(serr) {
		t.Errorf("%s: problems differ:\nwhole: %v\nsplit: %v", name, werr, serr)
	}
	if !reflect.DeepEqual(whole, split) {
		t.Errorf("%s: the split decode differs from the whole one", name)
	}
	return len(runs)
}

// TestSplitDecodeAgrees: decoding long sequences a chunk at a time gives
// what decoding the whole tree gives, for every scenario of the library
// (every sequence split, chunks of one item and more) and for a generated
// file with faults inside the split items: unknown fields, bad values,
// repeated keys, an item of the wrong kind, comments and blank lines.
func TestSplitDecodeAgrees(t *testing.T) {
	files, _ := filepath.Glob("../../../scenarios/library/*.yaml")
	split := 0
	for _, f := range append(files, "../../../scenarios/default.yaml") {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		split += splitAgrees(t, f, src, 1)
	}
	if split < 100 {
		t.Errorf("only %d sequences split in the library", split)
	}
	src := string(largeNACL(t, 3000))
	for _, e := range [][2]string{
		{"{RuleNumber: 17, Protocol: tcp,", "{RuleNumber: 17, colour: red, Protocol: tcp,"},
		{"{RuleNumber: 300, Protocol: tcp,", "{RuleNumber: x300, Protocol: tcp,"},
		{"{RuleNumber: 600, Protocol: tcp,", "{RuleNumber: 600, RuleNumber: 601, Protocol: tcp,"},
		{"        - {RuleNumber: 900, Protocol: tcp", "        # a comment\n\n        - just a string\n        - {RuleNumber: 900, Protocol: tcp"},
		{"        - {RuleNumber: 1200, Protocol: tcp", "        -\n          RuleNumber: 1200\n          Protocol: tcp\n          Egress: maybe\n        - {RuleNumber: 1201, Protocol: tcp"},
	} {
		if !strings.Contains(src, e[0]) {
			t.Fatalf("%q not in the generated file", e[0])
		}
		src = strings.Replace(src, e[0], e[1], 1)
	}
	if splitAgrees(t, "big.yaml", []byte(src), 1000) != 1 {
		t.Error("the generated file's entries were not split")
	}
	inst := string(largeInstances(3000))
	for _, e := range [][2]string{ // faults inside the instances, decoded by instanceSection.fillRun
		{"{name: e17, SubnetId: sub0,", "{name: e17, colour: red, SubnetId: sub0,"},
		{"{name: e300, SubnetId: sub0,", "{name: e300, PrivateIpAddress: 10.0.0.300, SubnetId: sub0,"},
		{"    - name: i600\n", "    - name: i600\n      vxlanDevices:\n        - {name: vx0, vni: x}\n"},
		{"    - name: i900\n      networkInterfaces:\n", "    - name: i900\n      networkInterfaces: 5\n      x:\n"},
	} {
		if !strings.Contains(inst, e[0]) {
			t.Fatalf("%q not in the generated file", e[0])
		}
		inst = strings.Replace(inst, e[0], e[1], 1)
	}
	if splitAgrees(t, "instances.yaml", []byte(inst), 1000) != 1 {
		t.Error("the generated instances were not split")
	}
}

// FuzzSplitAgrees: for any input, splitting every block sequence that can
// be split gives what the whole decode gives.
func FuzzSplitAgrees(f *testing.F) {
	addScenarioSeeds(f)
	f.Add([]byte("network:\n  instances:\n  - {name: a}\n  - [b,\n  - c]\n"))
	f.Add([]byte("mirror:\n  filters:\n    - &f {name: a}\n    - *f\nprograms:\n  - *f\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if badBytes("f.yaml", data) == nil {
			splitAgrees(t, "f.yaml", data, 1)
		}
	})
}
