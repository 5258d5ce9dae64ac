package terraform

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Environment of the opt-in test (set by make test-terraform).
const (
	envEnable = "MIRRORLAB_TERRAFORM" // 1: run
	envBin    = "MIRRORLAB_TF_BIN"    // the cache of built binaries
	envTool   = "MIRRORLAB_TF_TOOL"   // tofu | terraform | "" (tofu when built, else terraform)
	// envProvider names a provider binary to use instead of the cache's
	// (a released one, e.g. from a plugin mirror).
	envProvider = "MIRRORLAB_TF_PROVIDER"
)

// tools are the binaries the test drives.
type tools struct {
	tool, toolName string // tofu or terraform
	providerDir    string // holds terraform-provider-aws
	mirrorlab      string
}

// cacheBin is where make test-terraform keeps the binaries it built.
func cacheBin() string {
	if d := os.Getenv(envBin); d != "" {
		return d
	}
	c := os.Getenv("XDG_CACHE_HOME")
	if c == "" {
		home, _ := os.UserHomeDir()
		c = filepath.Join(home, ".cache")
	}
	return filepath.Join(c, "mirrorlab", "terraform", "bin")
}

// findTools finds the provider and tofu (or terraform) and builds
// mirrorlab; it skips, saying what is missing, when they cannot be had.
func findTools(t *testing.T) tools {
	t.Helper()
	if os.Getenv(envEnable) != "1" {
		t.Skipf("opt-in test: run make test-terraform (sets %s=1 and builds the AWS provider and OpenTofu into %s)", envEnable, cacheBin())
	}
	bin := cacheBin()
	tl := tools{providerDir: bin}
	provider := filepath.Join(bin, "terraform-provider-aws")
	if p := os.Getenv(envProvider); p != "" {
		// dev_overrides wants a directory holding terraform-provider-aws
		tl.providerDir = t.TempDir()
		provider = p
		if err := os.Symlink(p, filepath.Join(tl.providerDir, "terraform-provider-aws")); err != nil {
			t.Fatal(err)
		}
	}
	if !isExec(provider) {
		t.Skipf("the AWS provider is not built at %s (make test-terraform builds it; see %s)", provider, filepath.Join(filepath.Dir(bin), "log", "provider.log"))
	}
	want := os.Getenv(envTool)
	if want == "" || want == "tofu" {
		if p := filepath.Join(bin, "tofu"); isExec(p) {
			tl.tool, tl.toolName = p, "tofu"
		} else if want == "tofu" {
			t.Skipf("OpenTofu is not built at %s (make test-terraform builds it; see %s)", p, filepath.Join(filepath.Dir(bin), "log", "tofu.log"))
		}
	}
	if tl.tool == "" {
		p, err := exec.LookPath("terraform")
		if err != nil {
			t.Skipf("neither tofu (in %s) nor terraform (on the PATH) is there", bin)
		}
		tl.tool, tl.toolName = p, "terraform"
	}
	ver, _ := exec.Command(tl.tool, "version").Output()
	t.Logf("using %s: %s (provider: %s)", tl.toolName, strings.SplitN(string(ver), "\n", 2)[0], provider)
	tl.mirrorlab = buildMirrorlab(t)
	return tl
}

// buildMirrorlab builds mirrorlab from this tree into a temporary directory.
func buildMirrorlab(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mirrorlab")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/mirrorlab")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build mirrorlab: %v\n%s", err, out)
	}
	return bin
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// workspace is a copy of the module in a temporary directory with a CLI
// configuration that loads the provider from the cache (dev_overrides) and
// an environment in which nothing but the server can be reached.
type workspace struct {
	dir string
	env []string
	tl  tools
}

func newWorkspace(t *testing.T, tl tools, endpoint string) *workspace {
	t.Helper()
	return newWorkspaceFrom(t, tl, endpoint, ".")
}

// newWorkspaceFrom is newWorkspace for the module in directory src (its
// .tf files).
func newWorkspaceFrom(t *testing.T, tl tools, endpoint, src string) *workspace {
	t.Helper()
	dir := t.TempDir()
	files, err := filepath.Glob(filepath.Join(src, "*.tf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .tf file in %s (%v)", src, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rc := filepath.Join(dir, "cli.tfrc")
	cfg := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"hashicorp/aws\" = %q\n  }\n}\n", tl.providerDir)
	if err := os.WriteFile(rc, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "AWS_"), strings.HasPrefix(k, "TF_"), strings.HasPrefix(k, "TOFU_"),
			strings.EqualFold(k, "http_proxy"), strings.EqualFold(k, "https_proxy"), strings.EqualFold(k, "no_proxy"):
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "TF_INPUT=0", "CHECKPOINT_DISABLE=1",
		"TF_DATA_DIR="+filepath.Join(dir, ".terraform"), "TF_VAR_endpoint="+endpoint,
		"AWS_ACCESS_KEY_ID=mirrorlab", "AWS_SECRET_ACCESS_KEY=mirrorlab", "AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL="+endpoint, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		// anything that is not loopback goes to a closed local port and fails
		"HTTP_PROXY=http://127.0.0.1:9", "HTTPS_PROXY=http://127.0.0.1:9", "NO_PROXY=127.0.0.1,localhost",
	)
	return &workspace{dir: dir, env: env, tl: tl}
}

// run runs tofu/terraform with args; it returns the exit code, the output
// and how long it took.
func (w *workspace) run(t *testing.T, args ...string) (int, string, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.tl.tool, args...)
	cmd.Dir, cmd.Env = w.dir, w.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %s: %v", w.tl.toolName, strings.Join(args, " "), err)
	}
	return code, out.String(), d
}

// mustRun is run that fails the test unless the exit code is 0.
func (w *workspace) mustRun(t *testing.T, args ...string) (string, time.Duration) {
	t.Helper()
	code, out, d := w.run(t, args...)
	if code != 0 {
		t.Fatalf("%s %s: exit %d\n%s", w.tl.toolName, strings.Join(args, " "), code, out)
	}
	return out, d
}

// outputs reads the module's outputs.
func (w *workspace) outputs(t *testing.T) map[string]any {
	t.Helper()
	out, _ := w.mustRun(t, "output", "-json")
	var raw map[string]struct{ Value any }
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("output -json: %v\n%s", err, out)
	}
	m := map[string]any{}
	for k, v := range raw {
		m[k] = v.Value
	}
	return m
}

// freeAddr is a free loopback TCP address.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// serve starts mirrorlab serve with args on a free loopback port and waits
// until its API answers; it is stopped (SIGINT, then SIGKILL) at cleanup.
func serve(t *testing.T, tl tools, ready time.Duration, args ...string) string {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(tl.mirrorlab, append([]string{"serve", "--listen", addr}, args...)...)
	logf, err := os.Create(filepath.Join(t.TempDir(), "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mirrorlab serve: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("mirrorlab serve's output:\n%s", b)
		}
		_ = logf.Close()
	})
	endpoint := "http://" + addr
	deadline := time.Now().Add(ready)
	for {
		select {
		case err := <-done:
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("mirrorlab serve %s exited: %v\n%s", strings.Join(args, " "), err, b)
		default:
		}
		if resp, err := http.Get(endpoint + "/mirrorlab/spec"); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return endpoint
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mirrorlab serve did not answer on %s within %v", endpoint, ready)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// served is the part of the state (GET /mirrorlab/spec: {"Spec":…,"Tags":…})
// the test reads.
type served struct {
	TrafficMirrorFilters  []struct{ TrafficMirrorFilterId string }
	TrafficMirrorTargets  []struct{ TrafficMirrorTargetId, NetworkInterfaceId string }
	TrafficMirrorSessions []struct {
		TrafficMirrorSessionId, NetworkInterfaceId string
		VirtualNetworkId                           *int
	}
}

func getSpec(t *testing.T, endpoint string) served {
	t.Helper()
	resp, err := http.Get(endpoint + "/mirrorlab/spec")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Spec served }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("GET /mirrorlab/spec: %v", err)
	}
	return body.Spec
}

// sessionWithVNI is the id of the served session with this VNI ("" if none).
func (s served) sessionWithVNI(vni int) string {
	for _, x := range s.TrafficMirrorSessions {
		if x.VirtualNetworkId != nil && *x.VirtualNetworkId == vni {
			return x.TrafficMirrorSessionId
		}
	}
	return ""
}

// vniCounter counts, from tcpdump's text output, the VXLAN datagrams per
// VNI ("VXLAN, flags [I] (0x08), vni 4242").
func vniCounts(r io.Reader) map[int]int {
	counts := map[int]int{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		i := strings.Index(line, "VXLAN, flags")
		if i < 0 {
			continue
		}
		j := strings.Index(line[i:], " vni ")
		if j < 0 {
			continue
		}
		var vni int
		if _, err := fmt.Sscanf(line[i+j+5:], "%d", &vni); err == nil {
			counts[vni]++
		}
	}
	return counts
}
