package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/mirrorlab/mirrorlab/agent/compare"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/internal/sim"
	"github.com/mirrorlab/mirrorlab/lab"
)

// programKind is one kind of program: a built-in (one type in one file,
// builtin_<name>_linux.go) or any command (program_command_linux.go). It
// checks its args as the program itself parses them, describes itself in
// progress lines and starts; the started program answers for the rest.
type programKind interface {
	// checkArgs checks a built-in's args (spec.Builtins.Args).
	checkArgs(args []string) error
	// describe is the program as progress lines name it.
	describe(ps spec.Program) string
	// start starts the program and returns once it is ready. A program
	// that started but is not ready is returned with the error, so that
	// it is stopped with the others.
	start(ctx context.Context, p *program) (running, error)
}

// programKinds is every kind of program, by its builtin name; a program
// without one is a command.
var programKinds = map[string]programKind{
	spec.BuiltinHTTPServer: httpServer{},
	spec.BuiltinAgent:      agentProgram{},
	spec.BuiltinUDPSink:    udpSink{},
}

// kindOf returns the kind of program ps.
func kindOf(ps spec.Program) programKind {
	if k, ok := programKinds[ps.Builtin]; ok {
		return k
	}
	return command{}
}

// Builtins are the built-in programs' own checks of what a scenario gives
// them (spec.Scenario.CheckArgs): each program's args, and the agent's
// response comparison options.
func Builtins() spec.Builtins {
	b := spec.Builtins{Args: map[string]func([]string) error{}, CompareIgnores: compareIgnores}
	for name, k := range programKinds {
		b.Args[name] = k.checkArgs
	}
	return b
}

// compareIgnores checks sameResponses' ignoreHeaders and ignoreJson as the
// agent's -compare-ignore-header and -compare-ignore-json.
func compareIgnores(headers, jsonPaths []string) error {
	_, err := compare.New(compare.Options{IgnoreHeaders: headers, IgnoreJSON: jsonPaths})
	return err
}

// inProcess is what the built-ins that run in the lab's own process
// share: progress lines name them "built-in NAME".
type inProcess struct{}

func (inProcess) describe(ps spec.Program) string { return "built-in " + ps.Builtin }

// serving is what the started in-process built-ins share: they serve
// until close (the agents' last replays reach them after stop), and add
// nothing to a lab's status unless they say otherwise.
type serving struct{}

func (serving) stop() error                { return nil }
func (serving) status(string, *lab.Status) {}

// running is a started program.
type running interface {
	// stop ends what the program does on its own (an agent drains its
	// queued replays, a command exits); an in-process server keeps
	// answering until close.
	stop() error
	// close releases what stop left running.
	close() error
	// result adds what the program did to pr and o.
	result(pr *report.ProgramResult, o *report.Observations)
	// status adds the program's counters so far, as program name, to a
	// running lab's status.
	status(name string, st *lab.Status)
}

// program is a program of the scenario, started or not.
type program struct {
	spec spec.Program
	kind programKind
	inst *sim.Instance
	out  *lineWatch
	cmp  compareOpts // response comparison the expectations ask of an agent

	run             running // nil until started
	stopped, closed bool
	err             error
}

func (r *run) startPrograms(ctx context.Context) error {
	for _, ps := range r.s.Programs {
		p := &program{spec: ps, kind: kindOf(ps), inst: r.lab.Sim().Instance(ps.Instance), cmp: compareSettings(r.s, ps.Name)}
		ready := ""
		if ps.Ready != nil {
			ready = ps.Ready.LogContains
		}
		p.out = newLineWatch(r.s.OutputWatches(ps.Name), ready)
		r.progs = append(r.progs, p)
		var err error
		if p.run, err = p.kind.start(ctx, p); err != nil {
			p.err = err
			return fmt.Errorf("program %s on %s: %w", ps.Name, ps.Instance, err)
		}
		r.progress("%s: %s ready on %s", ps.Name, p.kind.describe(ps), ps.Instance)
	}
	return nil
}

// programStatus adds the programs' counters to the lab's status.
func (r *run) programStatus(st *lab.Status) {
	for _, p := range r.progs {
		if p.run != nil {
			p.run.status(p.spec.Name, st)
		}
	}
}

// stopPrograms stops the agents and commands (agents drain their queued
// replays); the in-process servers stay up to receive those replays until
// close.
func (r *run) stopPrograms() {
	for _, p := range r.progs {
		p.stop()
	}
}

func (p *program) stop() {
	if p.stopped || p.run == nil {
		return
	}
	p.stopped = true
	if err := p.run.stop(); err != nil {
		p.err = errors.Join(p.err, err)
	}
}

// close releases the in-process servers.
func (p *program) close() error {
	p.stop()
	if p.run == nil || p.closed {
		return nil
	}
	p.closed = true
	return p.run.close()
}

// kindName is the program's kind in results: its builtin name, or command.
func (p *program) kindName() string {
	if p.spec.Builtin == "" {
		return "command"
	}
	return p.spec.Builtin
}

// result records what the program did into o and returns its summary.
func (p *program) result(o *report.Observations) report.ProgramResult {
	pr := report.ProgramResult{Name: p.spec.Name, Instance: p.spec.Instance, Kind: p.kindName(), Ready: true}
	if p.err != nil {
		pr.Error = p.err.Error()
	}
	o.Output[p.spec.Name] = p.out.countsNow()
	if p.run != nil {
		p.run.result(&pr, o)
	}
	return pr
}
