package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// action is the metadata of a composite GitHub Action (the fields
// action.yml uses; decoded strictly, so a misspelt key fails).
type action struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Author      string `yaml:"author"`
	Branding    struct {
		Icon  string `yaml:"icon"`
		Color string `yaml:"color"`
	} `yaml:"branding"`
	Inputs map[string]struct {
		Description string `yaml:"description"`
		Required    bool   `yaml:"required"`
		Default     string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []struct {
			ID               string            `yaml:"id"`
			Name             string            `yaml:"name"`
			If               string            `yaml:"if"`
			Uses             string            `yaml:"uses"`
			With             map[string]string `yaml:"with"`
			Run              string            `yaml:"run"`
			Shell            string            `yaml:"shell"`
			Env              map[string]string `yaml:"env"`
			WorkingDirectory string            `yaml:"working-directory"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

// TestActionMetadata checks action.yml at the repository's root: a
// composite action whose every input referenced exists and every input is
// used, whose run steps name their shell, whose outputs come from a step
// that exists, and whose mirrorlab command line uses flags run has.
func TestActionMetadata(t *testing.T) {
	raw, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a action
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.Name == "" || a.Description == "" {
		t.Error("action.yml: name and description are required")
	}
	if a.Runs.Using != "composite" {
		t.Fatalf("runs.using %q, want composite", a.Runs.Using)
	}
	for _, in := range []string{"scenarios", "shard", "json", "junit", "html", "pcap-dir"} {
		if _, ok := a.Inputs[in]; !ok {
			t.Errorf("no input %s", in)
		}
	}
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`inputs\.([A-Za-z0-9_-]+)`).FindAllStringSubmatch(string(raw), -1) {
		used[m[1]] = true
		if _, ok := a.Inputs[m[1]]; !ok {
			t.Errorf("action.yml uses inputs.%s, which it does not declare", m[1])
		}
	}
	for in := range a.Inputs {
		if !used[in] {
			t.Errorf("input %s is declared and never used", in)
		}
	}
	ids := map[string]bool{}
	var script string
	uploads := false
	for i, s := range a.Runs.Steps {
		if s.ID != "" {
			ids[s.ID] = true
		}
		switch {
		case s.Run != "" && s.Uses != "":
			t.Errorf("step %d has both run and uses", i)
		case s.Run != "" && s.Shell == "":
			t.Errorf("step %d (%s): a composite action's run step must name its shell", i, s.Name)
		case s.Uses == "" && s.Run == "":
			t.Errorf("step %d does nothing", i)
		case s.Uses != "" && !regexp.MustCompile(`^actions/[a-z-]+@v\d+$`).MatchString(s.Uses):
			t.Errorf("step %d uses %q: want an actions/* action at a major version", i, s.Uses)
		}
		if strings.Contains(s.Run, "mirrorlab\" run") {
			script = s.Run
		}
		if strings.HasPrefix(s.Uses, "actions/upload-artifact@") {
			uploads = s.If == "always()" && strings.Contains(s.With["path"], "inputs.json") &&
				strings.Contains(s.With["path"], "inputs.junit") && strings.Contains(s.With["path"], "inputs.html") &&
				strings.Contains(s.With["path"], "inputs.pcap-dir")
		}
	}
	if !uploads {
		t.Error("no step uploads the JSON, JUnit, HTML and pcapng reports, always")
	}
	for name, o := range a.Outputs {
		m := regexp.MustCompile(`steps\.([A-Za-z0-9_-]+)\.outputs`).FindStringSubmatch(o.Value)
		if m == nil || !ids[m[1]] {
			t.Errorf("output %s = %q: no such step", name, o.Value)
		}
	}
	if script == "" || !strings.Contains(script, "sudo ") {
		t.Fatal("no step runs mirrorlab run as root (sudo)")
	}
	run, _, err := newRootCmd(nil, nil).Find([]string{"run"})
	if err != nil {
		t.Fatal(err)
	}
	var flags []string
	for _, m := range regexp.MustCompile(`\(--([a-z-]+)`).FindAllStringSubmatch(script, -1) {
		flags = append(flags, m[1])
	}
	for _, m := range regexp.MustCompile(`[ (]--([a-z-]+) "`).FindAllStringSubmatch(script, -1) {
		flags = append(flags, m[1])
	}
	slices.Sort(flags)
	flags = slices.Compact(flags)
	if len(flags) < 5 {
		t.Fatalf("found only the flags %v in the run step", flags)
	}
	for _, f := range flags {
		if run.Flags().Lookup(f) == nil {
			t.Errorf("the action passes --%s, which mirrorlab run does not have", f)
		}
	}
}
