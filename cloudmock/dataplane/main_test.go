package dataplane

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// labStateDir holds the state file of the lab shared by the privileged
// tests (see testLab).
var labStateDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mirrorlab-dataplane-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	labStateDir = dir
	code := m.Run()
	if sharedLab != nil {
		if err := sharedLab.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "close lab:", err)
			code = 1
		}
	}
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutine leak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
