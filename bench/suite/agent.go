package suite

import (
	"context"
	"fmt"

	"github.com/mirrorlab/mirrorlab/bench/vpc"
)

// agentPhase measures our decap agent: its decode rate on the UDP input and
// its replay at each offered load.
func (b *bench) agentPhase(ctx context.Context, run int, env *vpc.Env, srv *servers) {
	err := fmt.Errorf("our decap agent (package agent): %w", errNotReady)
	b.failReplay(labelOurs, err)
	b.col.fail(decodeSpec(), err)
}

func decodeSpec() spec {
	return spec{name: "agent/ours/decode-rate", group: "ours", unit: "pps", higherIsBetter: true}
}
