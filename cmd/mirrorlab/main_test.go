package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mainOut(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestExplainDefault(t *testing.T) {
	code, out, errOut := mainOut(t, "explain")
	if code != 0 || !strings.Contains(out, "MIRRORED by web-session") || !strings.Contains(out, "cost estimate") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	// UDP to port 80 is not allowed by web-sg: the model never mirrors what
	// the source's security group drops
	code, out, _ = mainOut(t, "explain", "-json", "-packet", "udp 10.0.0.6:1000 -> 10.0.0.5:80")
	var r struct {
		Flows []struct{ Hops []struct{ Reason string } }
	}
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || len(r.Flows) != 1 || r.Flows[0].Hops[len(r.Flows[0].Hops)-1].Reason != "dropped-by-source-sg" {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

func TestExplainAndValidateRefusedConfiguration(t *testing.T) {
	dir := t.TempDir()
	src := strings.Replace(string(mustRead(t, "../../scenarios/library/quota-violation.yaml")), "expect:\n", "expect: []\nunused:\n", 1)
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := mainOut(t, "validate", bad)
	if code != 1 || !strings.Contains(errOut, `bad.yaml:37: unknown field "unused"`) {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// without the expectation, the refusal is an error with file:line
	src = string(mustRead(t, "../../scenarios/library/quota-violation.yaml"))
	src = src[:strings.Index(src, "expect:")]
	if err := os.WriteFile(bad, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = mainOut(t, "validate", bad)
	if code != 1 || !strings.Contains(errOut, "bad.yaml:35:18: mirror.sessions[s4].NetworkInterfaceId: TrafficMirrorSessionLimitExceeded") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	code, out, _ := mainOut(t, "explain", bad)
	if code != 1 || !strings.Contains(out, "the provider would refuse this configuration") {
		t.Fatalf("exit %d: %s", code, out)
	}
	// the library's own file expects it: fine
	if code, _, errOut := mainOut(t, "validate", "quota-violation"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

func TestUsageVersionSchemaLibrary(t *testing.T) {
	if code, _, errOut := mainOut(t); code != 2 || !strings.Contains(errOut, "Usage:\n  mirrorlab [command]") {
		t.Fatalf("no args: %d %s", code, errOut)
	}
	if code, _, errOut := mainOut(t, "frobnicate"); code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Fatalf("unknown: %d %s", code, errOut)
	}
	for _, v := range []string{"version", "--version", "-version"} {
		if code, out, _ := mainOut(t, v); code != 0 || !strings.HasPrefix(out, "mirrorlab ") || strings.Count(out, "\n") != 1 {
			t.Fatalf("%s: %d %s", v, code, out)
		}
	}
	if code, out, _ := mainOut(t, "schema"); code != 0 || !json.Valid([]byte(out)) {
		t.Fatalf("schema: %d", code)
	}
	if code, out, _ := mainOut(t, "library"); code != 0 || !strings.Contains(out, "nacl-blocks-vxlan.yaml") {
		t.Fatalf("library: %d %s", code, out)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
