package main

import (
	"os"
	"testing"
)

// asCommandEnv makes the test binary run as the mirrorlab command (the lab
// owner that up -d starts by re-running its own executable).
const asCommandEnv = "MIRRORLAB_TEST_AS_COMMAND"

func TestMain(m *testing.M) {
	if os.Getenv(asCommandEnv) == "1" {
		main()
	}
	os.Exit(m.Run())
}
