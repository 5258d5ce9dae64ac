package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/scenarios"
	"github.com/spf13/cobra"
)

// Flags go before or after the arguments, with one dash or two.
func TestFlagsAfterArguments(t *testing.T) {
	for _, args := range [][]string{
		{"explain", "rule-order", "--json", "--packet", "tcp 10.0.0.6:40000 -> 10.0.0.5:80"},
		{"explain", "--json", "rule-order", "-packet", "tcp 10.0.0.6:40000 -> 10.0.0.5:80"},
		{"explain", "-json", "-packet=tcp 10.0.0.6:40000 -> 10.0.0.5:80", "rule-order"},
	} {
		code, out, errOut := mainOut(t, args...)
		var r struct {
			Scenario string
			Flows    []struct{ Hops []struct{ Reason string } }
		}
		if code != 0 || json.Unmarshal([]byte(out), &r) != nil || r.Scenario != "rule-order" || len(r.Flows) != 1 {
			t.Fatalf("%q: exit %d\n%s\n%s", args, code, out, errOut)
		}
	}
	// run reads every file before it builds anything: the flag after the
	// file is taken as a flag, and the missing file is the only complaint.
	dir := t.TempDir()
	out := filepath.Join(dir, "a.json")
	code, _, errOut := mainOut(t, "run", filepath.Join(dir, "no-such.yaml"), "--json", out, "-q")
	if code != 1 || !strings.Contains(errOut, "no-such.yaml") || strings.Contains(errOut, "--json") || strings.Contains(errOut, "-q") {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
}

func TestNormaliseArgs(t *testing.T) {
	root := newRootCmd(nil, nil)
	for _, c := range []struct{ in, want string }{
		{"explain -packet P -eni web-eni -json F", "explain --packet P --eni web-eni --json F"},
		{"explain F -size=100 -v", "explain F --size=100 -v"},
		// a flag's value is never rewritten, even when it looks like a flag
		{"run --json -junit F", "run --json -junit F"},
		{"run -json -junit F", "run --json -junit F"},
		{"run -q -library --keep", "run -q --library --keep"},
		// not a flag of the command: left for pflag to refuse
		{"run -nosuch F", "run -nosuch F"},
		// after --, and after exec's INSTANCE, the words are another program's
		{"exec -state-dir D web ls -state-dir", "exec --state-dir D web ls -state-dir"},
		{"explain -- -json", "explain -- -json"},
		// agent and bench parse their own flags
		{"agent -destination http://x -pcap-file F", "agent -destination http://x -pcap-file F"},
		{"bench -smoke -state-dir D", "bench -smoke -state-dir D"},
		{"-version", "--version"},
		{"run -help", "run --help"},
	} {
		got := strings.Join(normaliseArgs(root, strings.Fields(c.in)), " ")
		if got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
}

// Every command has its own help, with -h, --help and `help CMD`, on stdout.
func TestHelpPerCommand(t *testing.T) {
	root := newRootCmd(nil, nil)
	for _, cmd := range root.Commands() {
		name := cmd.Name()
		if cmd.Hidden {
			continue
		}
		if cmd.Long == "" || cmd.Example == "" {
			t.Errorf("%s: no Long text or no Examples", name)
		}
		want := []string{"Usage:\n  mirrorlab " + name, "Examples:\n", firstLine(cmd.Long)}
		variants := [][]string{{"help", name}}
		if !cmd.DisableFlagParsing { // agent and bench print their own flags on -h
			variants = append(variants, []string{name, "--help"}, []string{name, "-h"}, []string{name, "-help"})
		}
		for _, args := range variants {
			code, out, errOut := mainOut(t, args...)
			for _, w := range want {
				if code != 0 || !strings.Contains(out, w) {
					t.Errorf("%q: exit %d, want %q in\n%s\n%s", args, code, w, out, errOut)
					break
				}
			}
		}
	}
	// `help run` is run's help, not the command list
	_, out, _ := mainOut(t, "help", "run")
	if !strings.Contains(out, "--junit file") || strings.Contains(out, "Labs to use by hand") {
		t.Fatalf("help run:\n%s", out)
	}
	// schema -h is the help, not the schema
	_, out, _ = mainOut(t, "schema", "-h")
	if json.Valid([]byte(out)) || !strings.Contains(out, "JSON Schema") {
		t.Fatalf("schema -h:\n%s", out)
	}
	// the top-level help lists every command
	code, out, _ := mainOut(t, "--help")
	for _, cmd := range append(root.Commands(), &cobra.Command{Use: "completion"}) {
		if cmd.Hidden {
			continue
		}
		if code != 0 || !strings.Contains(out, "\n  "+cmd.Name()+" ") {
			t.Errorf("--help: no %s in\n%s", cmd.Name(), out)
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func TestCommandLineMistakes(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"explain", "a", "b"}, "mirrorlab explain: takes at most 1 argument(s)"},
		{[]string{"explain", "--nosuch"}, "mirrorlab explain: unknown flag: --nosuch"},
		{[]string{"explain", "--packet", "sctp 1.2.3.4:1 -> 1.2.3.5:2"}, "mirrorlab explain: --packet:"},
		{[]string{"run", "--json"}, "flag needs an argument: --json"},
		{[]string{"exec", "web"}, "mirrorlab exec: want INSTANCE and a command to run"},
		{[]string{"schema", "x"}, "mirrorlab schema: takes at most 0 argument(s)"},
		{[]string{"rnu"}, "Did you mean this?\n\trun"},
	} {
		code, _, errOut := mainOut(t, c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) || !strings.Contains(errOut, "--help' for usage") {
			t.Errorf("%q: exit %d, want 2 and %q in\n%s", c.args, code, c.want, errOut)
		}
	}
}

func TestAgentAndBenchGetTheirArgumentsUnchanged(t *testing.T) {
	if _, err := os.Stat("/proc/self/ns/net"); err != nil {
		t.Skip("agent and bench exist only on Linux")
	}
	// mirror-agent's own usage, with its single-dash flags
	_, out, errOut := mainOut(t, "agent", "-h")
	if all := out + errOut; !strings.Contains(all, "mirror-agent") || !strings.Contains(all, "-destination") {
		t.Fatalf("agent -h:\n%s", all)
	}
	_, out, errOut = mainOut(t, "bench", "-h")
	if all := out + errOut; !strings.Contains(all, "mirrorlab bench compare") || !strings.Contains(all, "-smoke") {
		t.Fatalf("bench -h:\n%s", all)
	}
	// a flag that only the agent knows reaches it
	code, _, errOut := mainOut(t, "agent", "-nosuch-flag")
	if code == 0 || !strings.Contains(errOut, "nosuch-flag") || strings.Contains(errOut, "unknown flag: --") {
		t.Fatalf("agent -nosuch-flag: %d\n%s", code, errOut)
	}
}

func TestCommandsAreSorted(t *testing.T) {
	// each constructor builds a fresh command: two roots share nothing
	a, b := newRootCmd(nil, nil), newRootCmd(nil, nil)
	for i, c := range a.Commands() {
		if c == b.Commands()[i] {
			t.Fatalf("%s shared between two roots", c.Name())
		}
	}
	names := []string{}
	for _, c := range a.Commands() {
		names = append(names, c.Name())
	}
	for _, want := range []string{"run", "explain", "validate", "up", "exec", "down", "clean", "agent", "bench", "schema", "library", "version"} {
		if !slices.Contains(names, want) {
			t.Errorf("no command %s", want)
		}
	}
}

// library prints every description whole, wrapped to 80 columns.
func TestLibraryDescriptionsWhole(t *testing.T) {
	code, out, _ := mainOut(t, "library")
	flat := strings.Join(strings.Fields(out), " ")
	lib, names := scenarios.Library()
	for _, n := range names {
		s, err := spec.Parse(n, lib[n])
		if err != nil {
			t.Fatal(err)
		}
		if desc := strings.Join(strings.Fields(s.Description), " "); code != 0 || !strings.Contains(flat, n+" "+desc) {
			t.Errorf("%s: description not whole in\n%s", n, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if len(line) > 80 && strings.Contains(strings.TrimSpace(line), " ") {
			t.Errorf("line longer than 80: %q", line)
		}
	}
}

// The JSON reports spell fields as the scenario format does.
func TestExplainJSONSpelling(t *testing.T) {
	code, out, _ := mainOut(t, "explain", "reject-falls-through", "--json")
	if code != 0 || !strings.Contains(out, `"rejectBehaviour": "reject-falls-through"`) || strings.Contains(out, "Behavior") {
		t.Fatalf("exit %d\n%.400s", code, out)
	}
}
