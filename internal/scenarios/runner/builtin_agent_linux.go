package runner

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/mirrorlab/mirrorlab/agent"
	"github.com/mirrorlab/mirrorlab/agent/cli"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/lab"
)

// agentProgram is the built-in agent: our decap agent in the run's own
// process, its args mirror-agent's flags (a scenario accepts exactly what
// mirror-agent accepts).
type agentProgram struct{}

func (agentProgram) checkArgs(args []string) error {
	cfg, err := cli.ParseConfig(args)
	if err == nil {
		err = cfg.Validate()
	}
	return err
}

func (agentProgram) describe(ps spec.Program) string {
	return "built-in agent (mirror-agent " + joinArgs(ps.Args) + ")"
}

// agentReadyTimeout is how long an agent may take to open its inputs.
const agentReadyTimeout = 10 * time.Second

func (agentProgram) start(ctx context.Context, p *program) (running, error) {
	cfg, err := cli.ParseConfig(p.spec.Args)
	if err != nil {
		return nil, err
	}
	if err := p.cmp.apply(&cfg); err != nil {
		return nil, err
	}
	cfg.InNamespace = p.inst.Run
	cfg.Logger = slog.New(slog.NewTextHandler(p.out, &slog.HandlerOptions{Level: slog.LevelInfo}))
	a, err := agent.New(cfg)
	if err != nil {
		return nil, err
	}
	actx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ar := &agentRun{agent: a, cancel: cancel, done: make(chan error, 1)}
	go func() { ar.done <- a.Run(actx) }()
	select {
	case <-a.Ready():
		return ar, nil
	case err := <-ar.done:
		ar.done <- err // keep it for stop
		return ar, fmt.Errorf("agent stopped at start: %w", err)
	case <-time.After(agentReadyTimeout):
		return ar, fmt.Errorf("agent not ready after %s", agentReadyTimeout)
	}
}

// agentRun is a started agent.
type agentRun struct {
	agent  *agent.Agent
	cancel context.CancelFunc
	done   chan error
	stats  agent.Stats // at stop
}

func (a *agentRun) stop() error {
	a.cancel()
	err := <-a.done
	a.stats = a.agent.Stats()
	return err
}

func (*agentRun) close() error { return nil }

func (a *agentRun) result(pr *report.ProgramResult, o *report.Observations) {
	pr.Stats = flatten(a.stats)
	o.AgentStats[pr.Name] = pr.Stats
	if a.stats.Compare != nil {
		pr.Compare = a.stats.Compare
		o.Compare[pr.Name] = a.stats.Compare
	}
}

func (a *agentRun) status(name string, st *lab.Status) {
	if st.Agents == nil {
		st.Agents = map[string]map[string]float64{}
	}
	st.Agents[name] = flatten(a.agent.Stats())
}

// apply turns the comparison on in an agent's configuration (its own
// -compare flags stay) and points it at the expectations' baseline server.
func (o compareOpts) apply(cfg *agent.Config) error {
	if !o.on {
		return nil
	}
	cfg.Compare = true
	cfg.CompareIgnoreHeaders = append(cfg.CompareIgnoreHeaders, o.headers...)
	cfg.CompareIgnoreJSON = append(cfg.CompareIgnoreJSON, o.jsonPs...)
	if o.baseline == "" {
		return nil
	}
	if o.baselineErr != nil {
		return fmt.Errorf("sameResponses baseline: %w", o.baselineErr)
	}
	if cfg.CompareBaseline != "" && cfg.CompareBaseline != o.baselineURL {
		return fmt.Errorf("sameResponses baseline %s is %s, but the agent's own -compare-baseline is %s: give one of them",
			o.baseline, o.baselineURL, cfg.CompareBaseline)
	}
	cfg.CompareBaseline = o.baselineURL
	return nil
}
