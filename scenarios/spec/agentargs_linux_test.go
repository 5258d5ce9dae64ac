package spec

import (
	"bytes"
	"context"
	"flag"
	"regexp"
	"sort"
	"testing"

	"github.com/mirrorlab/mirrorlab/agent"
	"github.com/mirrorlab/mirrorlab/agent/cli"
)

// TestAgentFlagsMatchCLI fails when agent/cli gains or loses a flag that
// AgentConfig does not know (the list is read from mirror-agent -h).
func TestAgentFlagsMatchCLI(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := cli.Main(context.Background(), []string{"-h"}, &out, &errOut); code != 0 {
		t.Fatalf("mirror-agent -h exited %d: %s", code, errOut.String())
	}
	re := regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`)
	seen := map[string]bool{}
	var cliFlags []string
	for _, m := range re.FindAllStringSubmatch(errOut.String()+out.String(), -1) {
		if !seen[m[1]] { // the usage may be printed twice
			seen[m[1]] = true
			cliFlags = append(cliFlags, m[1])
		}
	}
	if len(cliFlags) < 10 {
		t.Fatalf("read only %d flags from mirror-agent -h:\n%s", len(cliFlags), errOut.String())
	}
	var cfg agent.Config
	fs := agentFlagSet(&cfg)
	var ours []string
	fs.VisitAll(func(f *flag.Flag) { ours = append(ours, f.Name) })
	sort.Strings(cliFlags)
	sort.Strings(ours)
	if !equal(cliFlags, ours) {
		t.Fatalf("flags differ:\n agent/cli: %v\n spec:      %v", cliFlags, ours)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestAgentConfig(t *testing.T) {
	cfg, err := AgentConfig([]string{"-destination", "http://10.0.0.36", "-filter-request-port", "80,8080", "-vni", "1,42", "-ring-size", "8M"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Destination != "http://10.0.0.36" || len(cfg.Ports) != 2 || cfg.Ports[1] != 8080 ||
		len(cfg.VNIs) != 2 || cfg.RingBytes != 8<<20 || cfg.Percentage != 100 || cfg.Listen != ":4789" {
		t.Fatalf("config %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]string{{"-nope"}, {"-percentage", "0"}, {"-filter-request-port", "0"}, {"stray"}} {
		if _, err := AgentConfig(bad); err == nil {
			t.Errorf("AgentConfig(%q) accepted", bad)
		}
	}
}
