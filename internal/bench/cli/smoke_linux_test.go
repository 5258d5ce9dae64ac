package cli

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/bench/report"
	"github.com/mirrorlab/mirrorlab/internal/bench/suite"
	"github.com/mirrorlab/mirrorlab/internal/privtest"
)

// TestPrivilegedBenchSmoke runs `mirrorlab bench --smoke` end to end and
// checks that the output files parse and hold the expected figures (not
// their values, which depend on the machine). The peer's figures may carry
// an error only when GoReplay is not installed.
func TestPrivilegedBenchSmoke(t *testing.T) {
	privtest.Require(t)
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	stateDir := t.TempDir()
	code := Main(ctx, []string{"--smoke", "--out", out, "--state-dir", stateDir}, &stdout, &stderr, nil)
	if code != ExitOK {
		t.Fatalf("bench --smoke exited %d\nstderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "zero-loss") {
		t.Errorf("no progress lines on stderr:\n%s", stderr.String())
	}
	res, err := report.Read(filepath.Join(out, ResultFile))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Smoke || res.Machine.Kernel == "" || res.Machine.GoVersion == "" || res.Machine.Cores == 0 {
		t.Errorf("machine description incomplete: %+v", res.Machine)
	}
	size := func(n string) map[string]string { return map[string]string{"size": n} }
	load := map[string]string{"load": "200"}
	sources := map[string]string{"sources": "100"}
	required := []string{
		report.Key("throughput/kernel-veth/zero-loss-rate", size("64")),
		report.Key("throughput/kernel-vxlan/zero-loss-rate", size("1400")),
		report.Key("throughput/kernel-tc-mirred/zero-loss-rate", size("64")),
		report.Key("throughput/ours/zero-loss-rate", size("64")),
		report.Key("throughput/ours/zero-loss-rate", size("1400")),
		report.Key("mirror/ours/copies-delivered-at-ceiling", size("64")),
		report.Key("mirror/ours/production-loss-at-ceiling", size("1400")),
		report.Key("mirror/ours/cpu-per-mpkt", size("64")),
		"http/direct/max-rate",
		report.Key("replay/ours/completeness", load),
		report.Key("replay/ours/lag-p99", load),
		"replay/ours/highest-lossless-load",
		"agent/ours/decode-rate",
		"agent/ours/decode-rate-file",
		"agent/ours/decode-per-cpu-second",
		report.Key("labscale/ours/ready", sources),
		report.Key("labscale/bare-netlink/ready", sources),
		report.Key("labscale/ours/peak-rss", sources),
		report.Key("labscale/ours/add-instance", sources),
		report.Key("labscale/ours/remove-instance", sources),
		report.Key("throughput/ours-nlb/zero-loss-rate", size("64")),
		report.Key("throughput/ours-gwlb/zero-loss-rate", size("64")),
		report.Key("mirror/ours-nlb/copies-delivered-at-ceiling", size("64")),
		report.Key("mirror/ours-gwlb/copies-delivered-at-ceiling", size("64")),
	}
	for _, kind := range []string{"eni", "nlb", "gwlb", "cross-vpc", "ipv6", "all"} {
		required = append(required, report.Key("kernelshare/ours/share", map[string]string{"kind": kind}))
	}
	for _, k := range required {
		m := res.Find(k)
		if m == nil {
			t.Errorf("result lacks %s", k)
			continue
		}
		if m.Error != "" || len(m.Runs) != 1 {
			t.Errorf("%s: runs %v, error %q", k, m.Runs, m.Error)
		}
	}
	for _, label := range []string{"ours", "ours-nlb", "ours-gwlb"} {
		if m := res.Find(report.Key("throughput/"+label+"/zero-loss-rate", size("64"))); m != nil && m.Ratio == nil && m.Median > 0 {
			t.Errorf("%s has no ratio to the tc mirred reference", label)
		}
	}
	// The smoke run measures the load balancer targets at its first size
	// only, and every kind's copies (the in-kernel share is what it is).
	if m := res.Find(report.Key("throughput/ours-nlb/zero-loss-rate", size("1400"))); m != nil {
		t.Errorf("the smoke run measured the NLB target at 1400 B: %+v", m)
	}
	if m := res.Find(report.Key("kernelshare/ours/copies", map[string]string{"kind": "all"})); m == nil || len(m.Runs) != 1 || m.Runs[0] <= 0 {
		t.Errorf("copies over every kind: %+v", m)
	}
	_, grErr := suite.FindGoReplay("")
	for _, k := range []string{report.Key("replay/goreplay/completeness", load), report.Key("replay/goreplay/peak-rss", load)} {
		m := res.Find(k)
		switch {
		case m == nil && grErr == nil:
			t.Errorf("result lacks %s although goreplay is installed", k)
		case m != nil && grErr == nil && m.Error != "":
			t.Errorf("%s: %s", k, m.Error)
		case m != nil && grErr != nil && !strings.Contains(m.Error, "goreplay"):
			t.Errorf("%s without goreplay: error %q should say it is missing", k, m.Error)
		}
	}
	md, err := os.ReadFile(filepath.Join(out, MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{"| ours | throughput/ours/zero-loss-rate | size=64 |", "| ours | kernelshare/ours/share | kind=ipv6 |",
		"| 64 | NLB, in-kernel path on |", "| 64 | GWLB endpoint, in-kernel path on |"} {
		if !strings.Contains(string(md), row) {
			t.Errorf("markdown lacks the row %q:\n%s", row, md)
		}
	}
	for _, id := range []string{"mirror-throughput", "loss-curve-64", "replay-completeness"} {
		checkSVG(t, filepath.Join(out, id+".svg"))
	}
	// Every run recorded (sim labs and reference namespaces) was removed.
	left, err := filepath.Glob(filepath.Join(stateDir, "*.json"))
	if err != nil || len(left) > 0 {
		t.Errorf("runs left behind: %v %v", left, err)
	}
}

func checkSVG(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Error(err)
		return
	}
	dec := xml.NewDecoder(bytes.NewReader(b))
	lines := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Errorf("%s does not parse: %v", path, err)
			return
		}
		if se, ok := tok.(xml.StartElement); ok && (se.Name.Local == "polyline" || se.Name.Local == "circle") {
			lines++
		}
	}
	if lines == 0 {
		t.Errorf("%s draws no data", path)
	}
}
