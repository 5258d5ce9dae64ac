package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
)

// readmeSkips are the README's commands that the README tests do not run,
// each with the reason. A command of a README sh block that is neither run
// nor listed here fails TestREADMECommands.
var readmeSkips = map[string]string{
	"make test": "this test runs inside make test",
	"go install github.com/mirrorlab/mirrorlab/cmd/mirrorlab@latest": "fetches the published module over the network; go build ./... (make lint) builds the same package",
	"make build":                          "builds the same packages as go build ./... (make lint); TestKillRun builds the binary",
	"source <(mirrorlab completion bash)": "needs an interactive bash; TestCompletionScripts checks the script",
	"mirrorlab run --library":             "runs the whole library (minutes); TestScenarios (scenarios/scenarios_suite_test.go) runs it in make test",
	"mirrorlab bench --smoke --out new":   "two minutes of load on the machine; CI's bench-smoke job runs it",
	"mirrorlab bench compare bench/baseline/result.json new/result.json": "needs the result of the bench line before it; bench/cli's tests run compare",
	"CGO_ENABLED=0 go build ./cmd/mirror-agent":                          "builds the same package as go build ./... (make lint)",
	"sudo mirrorlab serve":                                               "serves until stopped; TestServeNoLab (cmd/mirrorlab/serve_test.go) runs serve",
	"mirrorlab serve --empty --no-lab":                                   "serves until stopped; TestServeEmptyAWSCLI (cmd/mirrorlab/serve_empty_linux_test.go) runs it with these aws commands",
	"mirrorlab export -o built.yaml":                                     "needs the running serve of the lines before; internal/scenarios/export/served_test.go exports a served lab",
	"mirrorlab validate built.yaml":                                      "validates what the line before would have written",
	"./mirror-agent -destination http://10.0.0.40 -filter-request-port 80 -metrics-addr :9100 -health-port 8080": "for a real instance: runs until stopped and listens on the host's ports; agent/cli's tests run the same flags",
}

// readmeSkipPrefixes are skipped commands by their beginning, with the
// reason.
var readmeSkipPrefixes = map[string]string{
	"aws ec2 ":      awsReason,
	"export AWS_":   awsReason,
	"SG=$(aws ec2":  awsReason,
	"ACL=$(aws ec2": awsReason,
}

const awsReason = "the aws CLI against a running mirrorlab serve: needs the aws CLI; internal/scenarios/export/served_test.go and internal/apiserver/ec2api's tests drive the same actions through the served API"

func skipReason(c string) (string, bool) {
	if r, ok := readmeSkips[c]; ok {
		return r, true
	}
	for p, r := range readmeSkipPrefixes {
		if strings.HasPrefix(c, p) {
			return r, true
		}
	}
	return "", false
}

// sudoPrefix runs a command as root from a user's shell; the README gives
// each such command without it too, and that one is run.
const sudoPrefix = `sudo env "PATH=$PATH" `

// readmeCommands returns the commands of the README's sh blocks, in order
// (comments dropped, "a; b" split).
func readmeCommands(t *testing.T) []string {
	t.Helper()
	var cmds []string
	in, cont, prev := false, "", ""
	for _, line := range strings.Split(string(mustRead(t, "../../README.md")), "\n") {
		before := prev
		prev = line
		switch {
		case strings.HasPrefix(line, "```sh") && ranBy(t, before):
			in = false // a test of its own runs this block's steps
			continue
		case strings.HasPrefix(line, "```sh"):
			in = true
			continue
		case strings.HasPrefix(line, "```"):
			in = false
			continue
		case !in || strings.HasPrefix(strings.TrimSpace(line), "#") || strings.TrimSpace(line) == "":
			continue
		}
		if i := strings.Index(line, "  #"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if cont != "" {
			line, cont = cont+" "+line, ""
		}
		if rest, ok := strings.CutSuffix(line, "\\"); ok {
			cont = strings.TrimSpace(rest) // continued on the next line
			continue
		}
		for _, c := range strings.Split(strings.ReplaceAll(line, " && ", "; "), "; ") {
			cmds = append(cmds, strings.TrimSpace(c))
		}
	}
	if len(cmds) < 10 {
		t.Fatalf("only %d commands in the README's sh blocks", len(cmds))
	}
	return cmds
}

// rootCommands need root (they build labs), or what such a command wrote
// before them (report merge reads run's shards).
var rootCommands = map[string]bool{"run": true, "up": true, "exec": true, "status": true, "down": true, "clean": true, "report": true}

// readmeArgs turns a README command into mirrorlab's arguments, and says
// whether it needs root; ok is false for a command that is not mirrorlab's.
func readmeArgs(t *testing.T, c string) (args []string, root, ok bool) {
	rest, ok := strings.CutPrefix(c, "go run ./cmd/mirrorlab ")
	if !ok {
		rest, ok = strings.CutPrefix(c, "mirrorlab ")
	}
	if !ok || rest == "" {
		return nil, false, false
	}
	c = rest
	args, err := shellWords(c)
	if err != nil {
		t.Fatalf("%s: %v", c, err)
	}
	return args, rootCommands[args[0]], true
}

// shellWords splits a command line as sh does for the README's commands:
// words, single and double quotes (no expansions).
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ':
			if inWord {
				words, inWord = append(words, cur.String()), false
				cur.Reset()
			}
		case c == '\'' || c == '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return nil, os.ErrInvalid
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// checkREADME runs the README's commands that need root (privileged) or
// not, and checks that every other one has its reason in readmeSkips.
func checkREADME(t *testing.T, privileged bool) {
	cmds := readmeCommands(t)
	seen := map[string]bool{}
	for _, c := range cmds {
		seen[c] = true
	}
	// Work in a directory of our own (the reports land there) that sees
	// the repository's scenarios and bench results under the same names.
	dir := t.TempDir()
	for _, d := range []string{"scenarios", "bench"} {
		abs, err := filepath.Abs(filepath.Join("../..", d))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(abs, filepath.Join(dir, d)); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	stateDir := t.TempDir()
	ran := map[string]bool{}
	for _, c := range cmds {
		if strings.HasPrefix(c, sudoPrefix) {
			// the same command as root must be in the README, and is run
			if rest := strings.TrimPrefix(c, sudoPrefix); !seen[rest] {
				t.Errorf("README: %q has no form without sudo", c)
			}
			continue
		}
		if reason, ok := skipReason(c); ok {
			t.Logf("not run: %s: %s", c, reason)
			continue
		}
		args, root, ok := readmeArgs(t, c)
		if !ok {
			t.Errorf("README command %q is neither run by this test nor listed in readmeSkips with a reason", c)
			continue
		}
		if root != privileged || ran[strings.Join(args, " ")] {
			continue
		}
		ran[strings.Join(args, " ")] = true
		if root && args[0] != "report" {
			// the lab commands see only this test's labs (the machine
			// may run others)
			if args[0] == "exec" {
				args = append([]string{"exec", "--state-dir", stateDir}, args[1:]...)
			} else {
				args = append(args, "--state-dir", stateDir)
			}
		}
		// sh's globbing, for report merge's shard-*.json
		var expanded []string
		for _, a := range args {
			if m, _ := filepath.Glob(a); strings.Contains(a, "*") && len(m) > 0 {
				expanded = append(expanded, m...)
			} else {
				expanded = append(expanded, a)
			}
		}
		code, out, errOut := mainOut(t, expanded...)
		if code != 0 {
			t.Errorf("README command %q exited %d\n%s\n%s", c, code, out, errOut)
		} else {
			t.Logf("ran: %s", c)
		}
	}
}

// TestREADMECommands runs the README's commands that need no root.
func TestREADMECommands(t *testing.T) { checkREADME(t, false) }

// TestPrivilegedREADMECommands runs the README's commands that need root,
// in the README's order (up -d, exec, status, down).
func TestPrivilegedREADMECommands(t *testing.T) {
	privtest.Require(t)
	t.Setenv(asCommandEnv, "1") // up -d starts this binary as the lab's owner
	checkREADME(t, true)
}

// ranByRE marks a README sh block whose steps another test runs (the line
// before the block): <!-- steps run by TestName -->.
var ranByRE = regexp.MustCompile(`^<!-- steps run by (Test\w+) -->$`)

// ranBy says whether line marks the next block as run by another test,
// and fails when that test does not exist.
func ranBy(t *testing.T, line string) bool {
	m := ranByRE.FindStringSubmatch(strings.TrimSpace(line))
	if m == nil {
		return false
	}
	found := false
	_ = filepath.WalkDir("../..", func(p string, d fs.DirEntry, err error) error {
		if err != nil || found || d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, _ := os.ReadFile(p)
		found = strings.Contains(string(b), "func "+m[1]+"(t *testing.T)")
		return nil
	})
	if !found {
		t.Errorf("README: a block says %s runs its steps; there is no such test", m[1])
	} else {
		t.Logf("not run here: a block whose steps %s runs", m[1])
	}
	return true
}
