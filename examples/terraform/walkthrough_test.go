package terraform

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/mirrorlab/mirrorlab/lab"
)

// The walk-through stack (walkthrough/) applied on serve --empty (root),
// with the adapter's ENI as the target and with the collectors behind an
// NLB: after apply, HTTP from the client instance (mirrorlab exec) to
// production is replayed to the test server (its log, read with
// GetConsoleOutput; behind the NLB, by both collectors together); plan
// finds no change; destroy leaves none of the stack's namespaces.
func TestTerraformWalkthrough(t *testing.T) {
	tl := findTools(t)
	privtest.Require(t)
	for _, nlb := range []bool{false, true} {
		t.Run(fmt.Sprintf("nlb=%t", nlb), func(t *testing.T) {
			stateDir := t.TempDir()
			endpoint := serve(t, tl, 2*time.Minute, "--empty", "--state-dir", stateDir)
			l, err := lab.Choose(stateDir, "")
			if err != nil {
				t.Fatalf("the lab of serve --empty: %v", err)
			}
			runID := l.Record.Info.RunID
			baseline := runNamespaces(t, runID)
			w := newWorkspaceFrom(t, tl, endpoint, "walkthrough")
			w.env = append(w.env, "TF_VAR_mirrorlab="+tl.mirrorlab, fmt.Sprintf("TF_VAR_collectors_behind_nlb=%t", nlb))
			_, dApply := w.mustRun(t, "apply", "-auto-approve", "-input=false", "-no-color")
			ids, _ := w.outputs(t)["instance_ids"].(map[string]any)
			client, _ := ids["client"].(string)
			test, _ := ids["test"].(string)
			if client == "" || test == "" {
				t.Fatalf("instance_ids output: %v", ids)
			}
			t.Logf("%s apply: %v", tl.toolName, dApply.Round(time.Millisecond))
			replayed(t, tl, stateDir, endpoint, client, test)
			code, out, dPlan := w.run(t, "plan", "-detailed-exitcode", "-input=false", "-no-color")
			if code != 0 {
				t.Fatalf("%s plan after apply: exit %d (0: no changes)\n%s", tl.toolName, code, out)
			}
			_, dDestroy := w.mustRun(t, "destroy", "-auto-approve", "-input=false", "-no-color")
			t.Logf("%s plan: %v, destroy: %v", tl.toolName, dPlan.Round(time.Millisecond), dDestroy.Round(time.Millisecond))
			if left := runNamespaces(t, runID); !slices.Equal(left, baseline) {
				t.Fatalf("namespaces after destroy: %v, want the empty account's %v", left, baseline)
			}
		})
	}
}

// replayed sends HTTP requests from the client instance to production
// (10.0.0.5) and waits for each in the test server's log.
func replayed(t *testing.T, tl tools, stateDir, endpoint, client, test string) {
	t.Helper()
	var paths []string
	for i := range 8 {
		p := fmt.Sprintf("/tf-walk-%d", i)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		out, err := exec.CommandContext(ctx, tl.mirrorlab, "exec", "--state-dir", stateDir, client, "--",
			"curl", "-s", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}", "http://10.0.0.5"+p).CombinedOutput()
		cancel()
		// python's web server has no such file: 404, from production
		if err != nil || string(out) != "404" {
			t.Fatalf("curl %s from the client: %v %s", p, err, out)
		}
		paths = append(paths, p)
	}
	var log string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		log = consoleOutput(t, endpoint, test)
		if !slices.ContainsFunc(paths, func(p string) bool { return !strings.Contains(log, "GET "+p+" ") }) {
			t.Logf("%d requests from the client replayed to the test server", len(paths))
			return
		}
	}
	t.Fatalf("the test server's log lacks some of %v:\n%s", paths, log)
}

var outputElem = regexp.MustCompile(`<output>([^<]*)</output>`)

// consoleOutput is GetConsoleOutput of instance id, decoded.
func consoleOutput(t *testing.T, endpoint, id string) string {
	t.Helper()
	resp, err := http.PostForm(endpoint, url.Values{"Action": {"GetConsoleOutput"}, "Version": {"2016-11-15"}, "InstanceId": {id}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := outputElem.FindSubmatch(b)
	if resp.StatusCode != http.StatusOK || m == nil {
		return ""
	}
	out, err := base64.StdEncoding.DecodeString(string(m[1]))
	if err != nil {
		t.Fatalf("GetConsoleOutput %s: %v", id, err)
	}
	return string(out)
}

// runNamespaces lists the network namespaces of run id, sorted.
func runNamespaces(t *testing.T, id string) []string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatalf("ip netns list: %v", err)
	}
	var ns []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], "ml"+id) {
			ns = append(ns, f[0])
		}
	}
	slices.Sort(ns)
	return ns
}
