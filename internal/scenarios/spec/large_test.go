package spec

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// largeNACL is the default scenario with a network ACL of n entries whose
// rule numbers repeat (a generated file gone wrong): about 120 bytes each.
func largeNACL(t testing.TB, n int) []byte {
	src := string(defaultSource(t))
	var b strings.Builder
	b.Grow(n * 120)
	for i := range n {
		fmt.Fprintf(&b, "        - {RuleNumber: %d, Protocol: tcp, RuleAction: allow, CidrBlock: 10.0.0.16/28, PortRange: {From: 80, To: 80}}\n", i%32766+1)
	}
	return []byte(strings.Replace(src, "    - name: test-acl\n      entries:\n", "    - name: test-acl\n      entries:\n"+b.String(), 1))
}

// validateAlloc validates data as mirrorlab validate does and returns the
// report and the bytes allocated meanwhile (runtime.MemStats.TotalAlloc:
// every allocation counts, freed or not, so it bounds the peak too).
func validateAlloc(data []byte) (report string, problems int, alloc uint64) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s, err := Parse("big.yaml", data)
	ps := AllProblems(s, err)
	report = ps.Report(DefaultReportLimit)
	runtime.ReadMemStats(&after)
	return report, len(ps), after.TotalAlloc - before.TotalAlloc
}

// TestLargeFileBounded: a 12 MB file of 100 000 network ACL entries gives a
// report of 50 problems and one summary line, and validation allocates in
// proportion to the file: per byte of file, the 12 MB file costs no more
// than a 3 MB one (within 25%), and at most 75 bytes per byte in all.
//
// yaml.v3 parses the file once (some 30-40 bytes per byte of file), its
// long list of entries a chunk at a time (decodeSplit), so the whole tree
// never lives at once; the scenario, the position index, the model's spec
// and the problems come on top. Measured here: about 60 bytes per byte (80
// when the file was parsed twice). This bounds what is allocated, not the
// peak: `mirrorlab validate` on the 12 MB file peaks at about 230 MB RSS.
func TestLargeFileBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates about 1 GB in all")
	}
	small, large := largeNACL(t, 25_000), largeNACL(t, 100_000)
	_, _, allocSmall := validateAlloc(small)
	report, n, allocLarge := validateAlloc(large)
	perSmall := float64(allocSmall) / float64(len(small))
	perLarge := float64(allocLarge) / float64(len(large))
	t.Logf("%d-byte file: %d problems, %d MB allocated (%.0f bytes per byte); %d-byte file: %.0f bytes per byte",
		len(large), n, allocLarge>>20, perLarge, len(small), perSmall)
	if n < 60_000 {
		t.Errorf("%d problems: the file was meant to hold some 67 000", n)
	}
	lines := strings.Split(report, "\n")
	if len(lines) != DefaultReportLimit+1 || !strings.HasPrefix(lines[DefaultReportLimit], fmt.Sprintf("and %d more of these kinds: NetworkAclEntryAlreadyExists", n-DefaultReportLimit)) {
		t.Errorf("report has %d lines, last %q", len(lines), lines[len(lines)-1])
	}
	if perLarge > 1.25*perSmall {
		t.Errorf("not proportional: %.0f bytes per byte of a 12 MB file, %.0f of a 3 MB one", perLarge, perSmall)
	}
	if perLarge > 75 {
		t.Errorf("%.0f bytes allocated per byte of file, want at most 75", perLarge)
	}
}
