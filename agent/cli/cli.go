package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/mirrorlab/mirrorlab/agent"
)

// Main runs the mirror-agent command line with args (without the program
// name) and returns the exit code: 0 success, 1 runtime failure, 2 usage.
// SIGINT and SIGTERM stop the agent, which drains before returning.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, opts, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "mirror-agent: %v\nmirror-agent: run with -h for the list of flags\n", err)
		return 2
	}
	if opts.version {
		fmt.Fprintf(stdout, "mirror-agent %s (%s %s/%s)\n", agent.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return 0
	}
	logger, err := newLogger(stderr, opts.logLevel, opts.logFormat)
	if err != nil {
		fmt.Fprintf(stderr, "mirror-agent: %v\n", err)
		return 2
	}
	cfg.Logger = logger
	// The process is the agent's: fewer Ps while idle, unless the user
	// chose their number.
	cfg.TuneProcs = os.Getenv("GOMAXPROCS") == ""
	a, err := agent.New(cfg)
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stderr, "mirror-agent: %s\n", line)
		}
		fmt.Fprintln(stderr, "mirror-agent: run with -h for the list of flags")
		return 2
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// The garbage collector keeps the heap within the budget plus
		// the agent's fixed overhead (the AF_PACKET ring is not heap, but
		// counting it only loosens the limit).
		b, o := a.MemoryBound()
		debug.SetMemoryLimit(b + o)
		logger.Debug("memory limit", "budget", b, "overhead", o)
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	runErr := a.Run(ctx)
	if opts.statsFile != "" {
		if err := writeStats(opts.statsFile, a.Stats()); err != nil {
			logger.Error("stats-file", "err", err)
			return 1
		}
	}
	if runErr != nil {
		logger.Error("agent failed", "err", runErr)
		return 1
	}
	return 0
}

func writeStats(path string, s agent.Stats) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode stats: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write stats: %w", err)
	}
	return nil
}

// ParseConfig reads mirror-agent flags into an agent.Config, for callers
// that run the agent in-process (the scenario runner): the same flags, the
// same defaults and the same errors as the command line. Flags that only
// concern the command (-version, -stats-file, -log-level, -log-format) are
// accepted and ignored; the caller sets Config.Logger.
func ParseConfig(args []string) (agent.Config, error) {
	cfg, _, err := parse(args, io.Discard)
	return cfg, err
}

type options struct {
	version   bool
	statsFile string
	logLevel  string
	logFormat string
}

func parse(args []string, stderr io.Writer) (agent.Config, options, error) {
	var cfg agent.Config
	var o options
	var v flagValues
	fs := newFlagSet(stderr)
	defineReferenceFlags(fs, &cfg, &v)
	defineInputFlags(fs, &cfg, &v)
	defineStreamFlags(fs, &cfg, &v)
	defineReplayFlags(fs, &cfg)
	defineCompareFlags(fs, &cfg, &v)
	defineOutputFlags(fs, &cfg, &o)

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage()
		}
		return cfg, o, err
	}
	if fs.NArg() > 0 {
		return cfg, o, fmt.Errorf("unexpected argument %q: every setting is a flag (e.g. -destination %s)", fs.Arg(0), fs.Arg(0))
	}
	if err := inputFromFlags(fs, &cfg); err != nil {
		return cfg, o, err
	}
	if *v.pct == 0 {
		return cfg, o, errors.New("-percentage 0 would replay nothing: give a value in (0, 100]")
	}
	if *v.vxport == 0 || *v.vxport > 65535 {
		return cfg, o, fmt.Errorf("-vxlan-port %d: must be 1..65535", *v.vxport)
	}
	v.apply(&cfg)
	return cfg, o, nil
}

// flagValues holds the flags whose values are checked or converted before
// they go into the agent.Config.
type flagValues struct {
	ports                                           portList
	pct                                             *float64
	rcvbuf, ring                                    size
	vxport                                          *uint
	vnis                                            vniList
	maxBuf, maxConnBuf, maxHeader, maxBody, cmpBody size
}

// apply copies the parsed values into cfg.
func (v *flagValues) apply(cfg *agent.Config) {
	cfg.Percentage = *v.pct
	cfg.Ports = v.ports
	cfg.VNIs = v.vnis
	cfg.VXLANPort = uint16(*v.vxport)
	cfg.RcvBuf = int(v.rcvbuf)
	cfg.RingBytes = int(v.ring)
	cfg.MaxBufferedBytes = int(v.maxBuf)
	cfg.MaxConnBufferedBytes = int(v.maxConnBuf)
	cfg.MaxHeaderBytes = int(v.maxHeader)
	cfg.MaxBodyBytes = int(v.maxBody)
	cfg.CompareBodyBytes = int(v.cmpBody)
}

// newFlagSet returns mirror-agent's empty flag set, whose -h prints the
// usage to stderr.
func newFlagSet(stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("mirror-agent", flag.ContinueOnError)
	// Parse errors are reported once, by Main, with a hint; -h prints the
	// usage.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: mirror-agent -destination URL [flags]\n\n"+
			"Receives VPC Traffic Mirroring (VXLAN), rebuilds the TCP streams towards the watched\n"+
			"ports and replays the HTTP/1.x requests to the destination.\n\nFlags:\n")
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// defineReferenceFlags defines the reference agent's flags
// (aws-samples/http-requests-mirroring).
func defineReferenceFlags(fs *flag.FlagSet, cfg *agent.Config, v *flagValues) {
	fs.StringVar(&cfg.Destination, "destination", "", "replay `URL` base (http:// or https://), e.g. http://10.0.0.40")
	v.ports = portList{80}
	fs.Var(&v.ports, "filter-request-port", "watched request `port`s, one or a comma list (e.g. 80,8080)")
	v.pct = fs.Float64("percentage", 100, "percentage of requests to replay, in (0, 100]")
	fs.StringVar(&cfg.PercentageBy, "percentage-by", "", "sample consistently by `header` or remoteaddr (empty: each request at random)")
	fs.StringVar(&cfg.PercentageByHeader, "percentage-by-header", "", "header `name` used when -percentage-by header")
	fs.BoolVar(&cfg.KeepHostHeader, "keep-host-header", false, "send the original Host header instead of the destination's")
}

// defineInputFlags defines the flags of the input.
func defineInputFlags(fs *flag.FlagSet, cfg *agent.Config, v *flagValues) {
	fs.StringVar(&cfg.Input, "input", "udp", "input: udp (VXLAN on a UDP socket), afpacket (capture on -interface) or pcap (-pcap-file); -interface or -pcap-file alone selects its input")
	fs.StringVar(&cfg.Listen, "listen", ":4789", "UDP listen `address` for -input udp")
	fs.IntVar(&cfg.UDPSockets, "udp-sockets", 0, "SO_REUSEPORT sockets for -input udp (0: one per CPU)")
	v.rcvbuf = size(8 << 20)
	fs.Var(&v.rcvbuf, "rcvbuf", "receive buffer `size` of each UDP socket (e.g. 8M; root may exceed rmem_max)")
	fs.StringVar(&cfg.Interface, "interface", "", "capture interface for -input afpacket (e.g. eth0, or vxlan0 for kernel-decapsulated frames)")
	fs.StringVar(&cfg.Frames, "frames", "auto", "what captured frames hold: vxlan, inner (already decapsulated) or auto")
	v.ring = size(64 << 20)
	fs.Var(&v.ring, "ring-size", "AF_PACKET ring `size`")
	fs.StringVar(&cfg.PcapFile, "pcap-file", "", "pcap or pcapng `file` for -input pcap")
	fs.Float64Var(&cfg.PcapPace, "pcap-pace", 0, "pcap replay speed: 0 as fast as possible, 1 the recorded pace, 2 twice as fast")
	v.vxport = fs.Uint("vxlan-port", 4789, "outer UDP `port` of VXLAN in captured frames")
	fs.BoolVar(&cfg.Geneve, "geneve", false, "the copies come from a Gateway Load Balancer: GENEVE (UDP 6081) around the VXLAN datagram; strip both (-input udp listens on :6081 unless -listen says otherwise; captured frames to UDP 6081 are GENEVE even without this flag)")
	fs.Var(&v.vnis, "vni", "VNI allow-list, comma separated (default: every VNI)")
}

// defineStreamFlags defines the flags of TCP reassembly and HTTP parsing.
func defineStreamFlags(fs *flag.FlagSet, cfg *agent.Config, v *flagValues) {
	fs.IntVar(&cfg.Workers, "workers", 0, "reassembly workers (0: 1 on up to two CPUs, else one per CPU; 1: on the input goroutines, no queue)")
	fs.IntVar(&cfg.QueueLen, "queue", 8192, "packets queued per reassembly worker before drops")
	fs.IntVar(&cfg.MaxStreams, "max-streams", 100_000, "live TCP streams at most")
	v.maxBuf = size(256 << 20)
	fs.Var(&v.maxBuf, "max-buffered", "memory budget `size` for everything held for the input: streams, out-of-order segments, partial requests and bodies, queued packets and replays")
	v.maxConnBuf = size(4 << 20)
	fs.Var(&v.maxConnBuf, "max-conn-buffered", "out-of-order `size` per connection")
	fs.DurationVar(&cfg.GapTimeout, "gap-timeout", 2*time.Second, "wait this long for a missing segment before dropping its request")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", 2*time.Minute, "forget connections silent this long")
	v.maxHeader = size(64 << 10)
	fs.Var(&v.maxHeader, "max-header", "largest request head `size`")
	v.maxBody = size(10 << 20)
	fs.Var(&v.maxBody, "max-body", "largest request body `size` replayed")
}

// defineReplayFlags defines the flags of the replay to the destination.
func defineReplayFlags(fs *flag.FlagSet, cfg *agent.Config) {
	fs.IntVar(&cfg.ReplayWorkers, "replay-workers", 32, "concurrent replays (and connections to the destination)")
	fs.IntVar(&cfg.ReplayQueue, "replay-queue", 10_000, "requests waiting for replay before drops")
	fs.DurationVar(&cfg.ReplayTimeout, "replay-timeout", 10*time.Second, "timeout of one replay, response included")
	fs.Float64Var(&cfg.RateLimit, "rate-limit", 0, "replays per second at most (0: no limit)")
	fs.IntVar(&cfg.RateBurst, "rate-burst", 0, "burst of -rate-limit (0: -replay-workers)")
	fs.BoolVar(&cfg.InsecureSkipVerify, "insecure-skip-verify", false, "accept any certificate from an https destination")
	fs.DurationVar(&cfg.DrainTimeout, "drain-timeout", 10*time.Second, "on SIGTERM, replay queued requests for at most this long")
}

// defineCompareFlags defines the flags of shadow testing: compare
// production's responses with the destination's.
func defineCompareFlags(fs *flag.FlagSet, cfg *agent.Config, v *flagValues) {
	fs.BoolVar(&cfg.Compare, "compare", false, "compare production's responses (the filter must also mirror egress from the watched ports) with the destination's, per endpoint")
	fs.StringVar(&cfg.CompareBaseline, "compare-baseline", "", "with -compare: also replay to this `URL` running production's version; differences it shares with production are noise")
	fs.Var(stringList{&cfg.CompareIgnoreHeaders}, "compare-ignore-header", "with -compare: header `name`s not compared, beyond Date, Server, Set-Cookie, ... (repeatable or a comma list)")
	fs.Var(stringList{&cfg.CompareIgnoreJSON}, "compare-ignore-json", "with -compare: JSON `path`s not compared, e.g. .meta.ts or .items[].updated (repeatable or a comma list)")
	fs.StringVar(&cfg.CompareOutput, "compare-output", "", "with -compare: write one JSON line per differing pair to this `file`")
	fs.DurationVar(&cfg.CompareTimeout, "compare-timeout", 30*time.Second, "with -compare: drop a pair still missing a response after this long")
	v.cmpBody = 64 << 10
	fs.Var(&v.cmpBody, "compare-body", "with -compare: response body `size` kept and compared (longer bodies: status and headers only)")
}

// defineOutputFlags defines the flags of the outputs and of operability,
// among them those that only concern the command (into o).
func defineOutputFlags(fs *flag.FlagSet, cfg *agent.Config, o *options) {
	fs.StringVar(&cfg.OutputPcap, "output-pcap", "", "write the decapsulated frames to this pcapng `file`")
	fs.StringVar(&cfg.OutputJSONL, "output-jsonl", "", "write one JSON line per parsed request to this `file`")
	fs.IntVar(&cfg.HealthPort, "health-port", 0, "TCP health-check `port` for a load balancer (0: none)")
	fs.StringVar(&cfg.HealthAddr, "health-addr", "", "health-check listen `address` (overrides -health-port)")
	fs.StringVar(&cfg.MetricsAddr, "metrics-addr", "", "serve /metrics, /stats and /healthz on this `address` (e.g. :9100)")
	fs.DurationVar(&cfg.SummaryInterval, "summary-interval", 30*time.Second, "period of the one-line summary log (negative: never)")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&o.statsFile, "stats-file", "", "on exit, write the final counters as JSON to this `file`")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
}

// inputFromFlags: -pcap-file alone selects -input pcap, -interface alone
// -input afpacket; a source flag that the chosen input would ignore is
// refused rather than ignored without a word.
func inputFromFlags(fs *flag.FlagSet, cfg *agent.Config) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case set["pcap-file"] && set["interface"]:
		return errors.New("-pcap-file and -interface name two inputs: give one (-pcap-file reads a file, -interface captures live)")
	case !set["input"] && set["pcap-file"]:
		cfg.Input = "pcap"
	case !set["input"] && set["interface"]:
		cfg.Input = "afpacket"
	case set["pcap-file"] && cfg.Input != "pcap":
		return fmt.Errorf("-pcap-file %s is read only with -input pcap, not -input %s: drop one of them", cfg.PcapFile, cfg.Input)
	case set["interface"] && cfg.Input != "afpacket":
		return fmt.Errorf("-interface %s is captured only with -input afpacket, not -input %s: drop one of them", cfg.Interface, cfg.Input)
	}
	if cfg.Geneve && !set["listen"] {
		cfg.Listen = ":6081"
	}
	return nil
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("-log-level %q: must be debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("-log-format %q: must be text or json", format)
}
