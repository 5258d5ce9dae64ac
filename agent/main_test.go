package agent

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves goroutines behind (readers,
// workers, replay connections, listeners).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
