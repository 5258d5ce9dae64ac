package runner

import (
	"context"
	"fmt"
	"strconv"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/workload"
)

// udpSink is the built-in udp-sink: it swallows the mirrored datagrams at a
// target that runs no agent, so that no ICMP port-unreachable answers them.
type udpSink struct{ inProcess }

func (udpSink) checkArgs(args []string) error {
	_, err := workload.ParseSinkArgs(args)
	return err
}

func (udpSink) start(_ context.Context, p *program) (running, error) {
	cfg, err := workload.ParseSinkArgs(p.spec.Args)
	if err != nil {
		return nil, err
	}
	pc, err := instanceNet(p.inst).ListenPacket("udp", ":"+strconv.Itoa(cfg.Port)) // both families
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	return udpSinkRun{sink: workload.StartSink(pc)}, nil
}

// udpSinkRun is a started udp-sink.
type udpSinkRun struct {
	serving
	sink *workload.Sink
}

func (u udpSinkRun) close() error { return u.sink.Close() }

func (u udpSinkRun) result(pr *report.ProgramResult, _ *report.Observations) {
	pr.Datagrams, _ = u.sink.Counts()
}
