package gen

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
)

// TestLabScaleValid: the generated scenario loads and the provider model
// accepts it (quotas included), at the sizes the bench uses.
func TestLabScaleValid(t *testing.T) {
	for _, n := range []int{1, 10, 50, 95, 100, 200, 500, 1000} {
		data, err := LabScale(n)
		if err != nil {
			t.Fatal(err)
		}
		if dir := os.Getenv("MIRRORLAB_LABSCALE_DIR"); dir != "" {
			_ = os.WriteFile(filepath.Join(dir, "scale-"+strconv.Itoa(n)+".yaml"), data, 0o644)
		}
		s, err := spec.Parse("scale.yaml", data)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if ps := s.ModelProblems(); ps != nil {
			t.Fatalf("n=%d: %v", n, ps)
		}
		if got := len(s.Network.Instances.List); got != n+1+(n+9)/10 {
			t.Errorf("n=%d: %d instances", n, got)
		}
	}
	if _, err := LabScale(0); err == nil {
		t.Error("0 sources accepted")
	}
}
