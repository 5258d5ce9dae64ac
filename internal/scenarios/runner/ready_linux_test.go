package runner

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/lab"
)

// listenEnv makes the test binary a TCP server on that address (a program
// of a test scenario), instead of running the tests.
const listenEnv = "MIRRORLAB_RUNNER_TEST_LISTEN"

func TestMain(m *testing.M) {
	if addr := os.Getenv(listenEnv); addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("listening on", addr)
		for {
			c, err := ln.Accept()
			if err != nil {
				os.Exit(0)
			}
			c.Close()
		}
	}
	os.Exit(m.Run())
}

func readyScenario(t *testing.T, env string) *spec.Scenario {
	t.Helper()
	src := fmt.Sprintf(`name: ready-probe
network:
  vpcs:
    - name: vpc
      CidrBlock: 10.0.0.0/24
      subnets:
        - {name: a, CidrBlock: 10.0.0.0/28}
  instances:
    - name: srv
      networkInterfaces: [{name: srv-eni, SubnetId: a, PrivateIpAddress: 10.0.0.5}]
programs:
  - name: server
    instance: srv
    command: [%q]
    env: [%q]
    ready: {tcpPort: 8080, timeout: 2s}
`, os.Args[0], env)
	s, err := spec.Parse("ready.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ready: {tcpPort} holds for a server bound to its instance's ENI address
// only (not 127.0.0.1), and when nothing listens, says where it looked.
func TestPrivilegedReadyProbesENIAddresses(t *testing.T) {
	privtest.Require(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	readied := false
	err := Up(ctx, readyScenario(t, listenEnv+"=10.0.0.5:8080"), Options{StateDir: dir}, func(*lab.Lab) error {
		readied = true
		cancel()
		return nil
	})
	if err != nil || !readied {
		t.Fatalf("server on the ENI address: ready %v, %v", readied, err)
	}
	// the program runs but listens on another port: not ready, and the
	// error names the addresses tried
	err = Up(context.Background(), readyScenario(t, listenEnv+"=10.0.0.5:9090"), Options{StateDir: dir}, func(*lab.Lab) error {
		t.Error("a program that listens nowhere was ready")
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "not ready in time: nothing listens on TCP 8080 (tried 127.0.0.1, ::1, 10.0.0.5 in srv)") {
		t.Fatalf("listens nowhere: %v", err)
	}
}
