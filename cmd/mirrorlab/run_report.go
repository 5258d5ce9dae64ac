package main

import (
	"fmt"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"io"
	"os"
	"path"
	"strings"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/htmlreport"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/shard"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/scenarios"
)

// shardFlagHelp documents --shard where it is defined and in the docs.
const shardFlagHelp = "run only share `I/N` of the scenarios (1-based): sorted by name, every N-th from the I-th, so every scenario is in exactly one of the N shares whatever the order of the FILEs"

// jobsFlagHelp documents --jobs where it is defined and in the docs.
const jobsFlagHelp = "run up to `N` scenarios at a time, each in its own lab; each one's lines are printed whole when it ends, and the reports keep the scenarios' order"

// selectShard keeps the scenarios of shard text ("" keeps them all) and
// says which it kept.
func selectShard(list []*spec.Scenario, text string, w io.Writer) ([]*spec.Scenario, error) {
	if text == "" {
		return list, nil
	}
	sh, err := shard.Parse(text)
	if err != nil {
		return nil, err
	}
	keys := make([]shard.Key, len(list))
	for i, s := range list {
		keys[i] = shard.Key{Name: s.Name, File: s.File}
	}
	var kept []*spec.Scenario
	var names []string
	for _, i := range shard.Select(keys, sh) {
		kept = append(kept, list[i])
		names = append(names, list[i].Name)
	}
	if len(kept) == 0 {
		fmt.Fprintf(w, "shard %s: none of the %d scenarios falls in this share; nothing to run\n", sh, len(list))
	} else {
		fmt.Fprintf(w, "shard %s: %d of %d scenarios: %s\n", sh, len(kept), len(list), strings.Join(names, ", "))
	}
	return kept, nil
}

// writeHTML writes the runs' report page.
func writeHTML(file string, list []*spec.Scenario, results []*report.Result) error {
	runs := make([]htmlreport.Run, len(results))
	for i, r := range results {
		runs[i] = htmlreport.Run{Scenario: list[i], Result: r}
	}
	return htmlreport.WriteFile(file, runs)
}

// scenarioOf finds the scenario a result came from, to draw it (nil when
// it cannot be read any more, or is no longer the same scenario).
func scenarioOf(r *report.Result) *spec.Scenario {
	arg := r.File
	_, statErr := os.Stat(r.File)
	switch {
	case statErr == nil: // a file that is still there
	case r.File == scenarios.DefaultName:
		arg = ""
	case strings.HasPrefix(r.File, "library/"):
		arg = path.Base(r.File)
	}
	s, err := scenarios.Load(arg)
	if err != nil || s.Name != r.Scenario {
		return nil
	}
	return s
}
