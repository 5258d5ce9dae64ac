package terraform

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Environment of the opt-in acceptance run (set by make
// test-terraform-acceptance, through examples/terraform/acceptance.sh).
const (
	envAcc         = "MIRRORLAB_TF_ACCEPTANCE"   // 1: run
	envAccRun      = "MIRRORLAB_TF_ACC_RUN"      // -test.run of the provider's tests
	envAccParallel = "MIRRORLAB_TF_ACC_PARALLEL" // -test.parallel (default 2)
	envAccOut      = "MIRRORLAB_TF_ACC_OUT"      // where the table and logs go (default: a temporary directory)
	// envAccNetwork=1 runs with the machine's network in reach (not
	// recommended): by default the test refuses to run unless loopback is
	// the only interface (acceptance.sh runs it in a network namespace of
	// its own), so that nothing the provider or tofu tries can leave.
	envAccNetwork = "MIRRORLAB_TF_ACC_NETWORK"
)

// accRunDefault selects the provider's tests of the four traffic-mirror
// resources.
const accRunDefault = `^TestAccVPCTrafficMirror(Filter|FilterRule|Target|Session)_`

// TestProviderAcceptance runs terraform-provider-aws's own acceptance
// tests of the four traffic-mirror resources, unmodified (the test binary
// built by acceptance.sh), with OpenTofu against mirrorlab serve --empty
// --no-lab, and reports a table of them: each must PASS, and a SKIP (the
// harness skips a test whose error says InvalidAction or
// UnsupportedOperation, i.e. an action we lack) counts as a failure.
func TestProviderAcceptance(t *testing.T) {
	if os.Getenv(envAcc) != "1" {
		t.Skipf("opt-in test: run make test-terraform-acceptance (sets %s=1 and builds OpenTofu and the provider's EC2 tests into %s)", envAcc, cacheBin())
	}
	requireLoopbackOnly(t)
	tofu, ec2test := filepath.Join(cacheBin(), "tofu"), filepath.Join(cacheBin(), "ec2.test")
	for _, p := range []string{tofu, ec2test} {
		if !isExec(p) {
			t.Fatalf("%s is not built (make test-terraform-acceptance builds it; see %s)", p, filepath.Join(filepath.Dir(cacheBin()), "log"))
		}
	}
	run := envOr(envAccRun, accRunDefault)
	want := listTests(t, ec2test, run)
	if len(want) == 0 {
		t.Fatalf("the provider's test binary has no test matching %q", run)
	}
	endpoint := serve(t, tools{mirrorlab: buildMirrorlab(t)}, 30*time.Second, "--empty", "--no-lab")
	out := envOr(envAccOut, t.TempDir())
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	jsonPath := filepath.Join(out, "ec2test.json")
	start := time.Now()
	runErr := runProviderTests(t, ec2test, run, accEnv(t, tofu, endpoint), jsonPath)
	t.Logf("the provider's tests ran for %v (%v); test2json events: %s", time.Since(start).Round(time.Second), runErr, jsonPath)

	f, err := os.Open(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := readAccResults(f, want)
	if err != nil {
		t.Fatal(err)
	}
	table := accTable(res)
	if err := os.WriteFile(filepath.Join(out, "table.md"), []byte(table), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("the provider's acceptance tests against mirrorlab serve --empty (table also in %s):\n%s", filepath.Join(out, "table.md"), table)
	bad := 0
	for _, r := range res {
		if r.Result != "PASS" {
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d tests did not pass (a SKIP is an action or parameter mirrorlab lacks)", bad, len(res))
	}
}

// requireLoopbackOnly fails unless loopback is the only network interface
// (the run is in a network namespace of its own), or envAccNetwork=1.
func requireLoopbackOnly(t *testing.T) {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	var others []string
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback == 0 {
			others = append(others, i.Name)
		}
	}
	if len(others) > 0 && os.Getenv(envAccNetwork) != "1" {
		t.Fatalf("interfaces other than loopback are in reach (%s): run in a network namespace of its own, as acceptance.sh does (unshare --net), so that nothing can leave the machine; or set %s=1", strings.Join(others, ", "), envAccNetwork)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// listTests is the names of the tests of bin that match run.
func listTests(t *testing.T, bin, run string) []string {
	t.Helper()
	b, err := exec.Command(bin, "-test.list", run).Output()
	if err != nil {
		t.Fatalf("%s -test.list %q: %v", bin, run, err)
	}
	var names []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "Test") {
			names = append(names, strings.TrimSpace(l))
		}
	}
	return names
}

// accEnv is the environment of the provider's tests: the provider's SDK
// clients (every service: AWS_ENDPOINT_URL), its STS account look-up and
// tofu all reach only the server; dummy keys; tofu as Terraform, with the
// in-process provider registered under OpenTofu's registry host.
func accEnv(t *testing.T, tofu, endpoint string) []string {
	t.Helper()
	home := t.TempDir()
	rc := filepath.Join(home, "empty.tfrc")
	if err := os.WriteFile(rc, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "AWS_"), strings.HasPrefix(k, "TF_"), strings.HasPrefix(k, "TOFU_"), k == "HOME":
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"HOME="+home, "TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1",
		"TF_ACC=1", "TF_ACC_TERRAFORM_PATH="+tofu,
		// OpenTofu resolves "aws" to registry.opentofu.org/hashicorp/aws;
		// the harness must reattach its in-process provider under that name
		"TF_ACC_PROVIDER_HOST=registry.opentofu.org", "TF_ACC_PROVIDER_NAMESPACE=hashicorp",
		"AWS_ENDPOINT_URL="+endpoint, "AWS_ACCESS_KEY_ID=mirrorlab", "AWS_SECRET_ACCESS_KEY=mirrorlab",
		"AWS_DEFAULT_REGION=us-east-1", "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	)
}

// runProviderTests runs the provider's test binary through go tool
// test2json, its events into jsonPath (its own stderr after them, in
// jsonPath+".stderr"); it returns how the binary ended.
func runProviderTests(t *testing.T, bin, run string, env []string, jsonPath string) error {
	t.Helper()
	parallel := envOr(envAccParallel, "2")
	if _, err := strconv.Atoi(parallel); err != nil {
		t.Fatalf("%s=%q: want a number", envAccParallel, parallel)
	}
	jf, err := os.Create(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	defer jf.Close()
	ef, err := os.Create(jsonPath + ".stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Minute)
	defer cancel()
	// test2json's path with our environment (accEnv's HOME has no Go caches)
	t2j, err := exec.Command("go", "tool", "-n", "test2json").Output()
	if err != nil {
		t.Fatalf("go tool -n test2json: %v", err)
	}
	cmd := exec.CommandContext(ctx, strings.TrimSpace(string(t2j)), "-t", "-p", "ec2", bin,
		"-test.v=test2json", "-test.run", run, "-test.parallel", parallel, "-test.timeout", "90m", "-test.count", "1")
	cmd.Dir, cmd.Env = t.TempDir(), env
	cmd.Stdout, cmd.Stderr = jf, ef
	return cmd.Run()
}
