package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
)

// childEnv, when set, makes the test binary run mirror-agent with the
// arguments (a JSON list) it holds, instead of the tests: tests that
// measure the agent's own memory run it as a child process.
const childEnv = "MIRRORLAB_TEST_AGENT_ARGS"

func TestMain(m *testing.M) {
	if a := os.Getenv(childEnv); a != "" {
		var args []string
		if err := json.Unmarshal([]byte(a), &args); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", childEnv, err)
			os.Exit(2)
		}
		os.Exit(Main(context.Background(), args, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
