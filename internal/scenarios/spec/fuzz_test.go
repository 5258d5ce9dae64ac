package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// addScenarioSeeds seeds a fuzz test with every scenario of the library.
func addScenarioSeeds(f *testing.F) {
	files, _ := filepath.Glob("../../../scenarios/library/*.yaml")
	for _, p := range append(files, "../../../scenarios/default.yaml") {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzParse: no input makes the loader, the checks or the provider
// validation panic, and every problem names the file.
func FuzzParse(f *testing.F) {
	addScenarioSeeds(f)
	f.Add([]byte("name: [\n"))
	f.Add([]byte("network: {vpcs: [{name: v, CidrBlock: 10.0.0.0/24, subnets: [{name: s}]}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("f.yaml", data)
		for _, p := range AsProblems(err) {
			if p.File != "f.yaml" {
				t.Fatalf("problem without the file: %v", p)
			}
		}
		if err == nil && s != nil {
			_ = s.ModelProblems()
		}
	})
}

// TestAliasBombIsRefusedQuickly: a document whose aliases expand
// exponentially is reported, not expanded.
func TestAliasBombIsRefusedQuickly(t *testing.T) {
	var b strings.Builder
	b.WriteString("name: x\nx0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&b, "x%d: &a%d [", i, i)
		for k := range 10 {
			if k > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	b.WriteString("programs: *a8\n")
	done := make(chan error, 1)
	go func() { _, err := Parse("bomb.yaml", []byte(b.String())); done <- err }()
	select {
	case err := <-done:
		if AsProblems(err) == nil {
			t.Fatalf("accepted: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still parsing after 10s")
	}
}
