package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/bench/report"
	"github.com/mirrorlab/mirrorlab/internal/bench/suite"
	"github.com/mirrorlab/mirrorlab/lab"
)

// Exit codes.
const (
	ExitOK         = 0
	ExitRegression = 1
	ExitUsage      = 2
	ExitFailure    = 3
)

// Files written by a bench run in --out.
const (
	ResultFile   = "result.json"
	MarkdownFile = "results.md"
)

// Main runs `mirrorlab bench` with args (after "bench") and returns the exit
// code. agentCommand runs our agent as its own process (argv before the
// agent's flags, e.g. mirrorlab's path and "agent"), so that its CPU is
// measured apart; nil: in the bench's process.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, agentCommand []string) int {
	if len(args) > 0 && args[0] == "compare" {
		return compare(args[1:], stdout, stderr)
	}
	return run(ctx, args, stdout, stderr, agentCommand)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, agentCommand []string) int {
	opts, code := parseRun(args, stderr, agentCommand)
	if opts == nil {
		return code
	}
	if err := lab.Supported(); err != nil {
		fmt.Fprintln(stderr, "mirrorlab bench:", err)
		return ExitFailure
	}
	return execute(ctx, opts, stdout, stderr)
}

// runOptions is what `mirrorlab bench` was asked to do.
type runOptions struct {
	cfg   suite.Config
	out   string // --out
	quiet bool   // --quiet
}

// parseRun reads run's flags into a validated suite configuration. A nil
// result means run must stop with the returned exit code (ExitOK after
// --help).
func parseRun(args []string, stderr io.Writer, agentCommand []string) (*runOptions, int) {
	fs := flag.NewFlagSet("mirrorlab bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	smoke := fs.Bool("smoke", false, "short run for CI (one run, two sizes, short trials; under two minutes)")
	out := fs.String("out", "bench-results", "directory for result.json, results.md and the SVG plots")
	runs := fs.Int("runs", 0, "runs per figure (default 3, smoke 1)")
	only := fs.String("only", "", "comma-separated parts to run: "+strings.Join(suite.AllParts, ","))
	goreplay := fs.String("goreplay", "", "path of the goreplay binary (default: looked up on PATH and in the Go bin directories)")
	note := fs.String("note", "", "a note on the conditions, stored with the machine description")
	stateDir := fs.String("state-dir", "", "`directory` where namespaces are recorded for mirrorlab clean (default /run/mirrorlab)")
	quiet := fs.Bool("quiet", false, "no progress lines")
	sizes := fs.String("sizes", "", "comma-separated IP packet sizes (default 64,512,1400,8947; smoke 64,1400)")
	loads := fs.String("loads", "", "comma-separated offered HTTP loads on production, requests/s (rising; default 500,1000,2000,4000,8000,12000,16000,24000,32000; smoke 200,800)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: mirrorlab bench [flags]\n       mirrorlab bench compare OLD.json NEW.json [--tolerance F]\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, ExitOK
		}
		return nil, ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mirrorlab bench: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return nil, ExitUsage
	}
	cfg := suite.Defaults(*smoke)
	if *runs > 0 {
		cfg.Runs = *runs
	}
	if *only != "" {
		cfg.Parts = strings.Split(*only, ",")
	}
	cfg.GoReplay, cfg.Note, cfg.StateDir, cfg.AgentCommand = *goreplay, *note, *stateDir, agentCommand
	if err := setLists(&cfg, *sizes, *loads); err != nil {
		fmt.Fprintf(stderr, "mirrorlab bench: %v\n", err)
		return nil, ExitUsage
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "mirrorlab bench: %v\n", err)
		return nil, ExitUsage
	}
	return &runOptions{cfg: cfg, out: *out, quiet: *quiet}, ExitOK
}

// setLists replaces cfg's packet sizes and HTTP loads by those given to
// --sizes and --loads, when given.
func setLists(cfg *suite.Config, sizes, loads string) error {
	if sizes != "" {
		v, err := numbers(sizes)
		if err != nil {
			return fmt.Errorf("--sizes: %w", err)
		}
		cfg.Sizes = cfg.Sizes[:0]
		for _, x := range v {
			cfg.Sizes = append(cfg.Sizes, int(x))
		}
	}
	if loads != "" {
		v, err := numbers(loads)
		if err != nil {
			return fmt.Errorf("--loads: %w", err)
		}
		cfg.HTTPLoads = v
	}
	return nil
}

// execute runs the suite, writes the result to opts.out and its tables to
// stdout.
func execute(ctx context.Context, opts *runOptions, stdout, stderr io.Writer) int {
	cfg := opts.cfg
	start := time.Now()
	if !opts.quiet {
		cfg.Progress = func(line string) {
			fmt.Fprintf(stderr, "[%6.1fs] %s\n", time.Since(start).Seconds(), line)
		}
	}
	res, err := suite.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "mirrorlab bench: %v\n", err)
		return ExitFailure
	}
	if err := Write(opts.out, res); err != nil {
		fmt.Fprintf(stderr, "mirrorlab bench: %v\n", err)
		return ExitFailure
	}
	if err := report.WriteMarkdown(stdout, res); err != nil {
		fmt.Fprintf(stderr, "mirrorlab bench: %v\n", err)
		return ExitFailure
	}
	fmt.Fprintf(stderr, "mirrorlab bench: wrote %s in %.0fs\n", opts.out, time.Since(start).Seconds())
	return ExitOK
}

// Write stores a result in dir: result.json, results.md and one SVG per plot.
func Write(dir string, res *report.Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	if err := res.Write(filepath.Join(dir, ResultFile)); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(dir, MarkdownFile), func(w io.Writer) error { return report.WriteMarkdown(w, res) }); err != nil {
		return err
	}
	for i := range res.Plots {
		p := &res.Plots[i]
		if err := writeFile(filepath.Join(dir, p.ID+".svg"), func(w io.Writer) error { return report.WriteSVG(w, p) }); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, fn func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	err = fn(f)
	if cerr := f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close %s: %w", path, cerr)
	}
	return err
}

func compare(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mirrorlab bench compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tol := fs.Float64("tolerance", 0.10, "allowed worsening before a figure counts as regressed (0.1 = 10%)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: mirrorlab bench compare OLD.json NEW.json [--tolerance F]\n")
		fs.PrintDefaults()
	}
	// Flags may come before or after the two files.
	var files []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return ExitOK
			}
			return ExitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(files) != 2 {
		fmt.Fprintf(stderr, "mirrorlab bench compare: want OLD and NEW result files, got %d argument(s)\n", len(files))
		fs.Usage()
		return ExitUsage
	}
	if *tol < 0 {
		fmt.Fprintf(stderr, "mirrorlab bench compare: --tolerance %g: want >= 0\n", *tol)
		return ExitUsage
	}
	old, err := report.Read(files[0])
	if err != nil {
		fmt.Fprintf(stderr, "mirrorlab bench compare: %v\n", err)
		return ExitUsage
	}
	cur, err := report.Read(files[1])
	if err != nil {
		fmt.Fprintf(stderr, "mirrorlab bench compare: %v\n", err)
		return ExitUsage
	}
	if old.Smoke != cur.Smoke {
		fmt.Fprintf(stderr, "mirrorlab bench compare: warning: comparing a smoke result with a full one\n")
	}
	fs2 := report.Compare(old, cur, *tol)
	if err := report.WriteFindings(stdout, fs2, *tol); err != nil {
		fmt.Fprintf(stderr, "mirrorlab bench compare: %v\n", err)
		return ExitFailure
	}
	if report.Regressions(fs2) > 0 {
		return ExitRegression
	}
	return ExitOK
}

// numbers parses a comma-separated list of positive numbers.
func numbers(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, v)
	}
	return out, nil
}
