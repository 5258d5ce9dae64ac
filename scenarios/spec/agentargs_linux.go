package spec

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mirrorlab/mirrorlab/agent"
)

// AgentConfig reads the built-in agent's args: the mirror-agent command
// line's flags (agent/cli), so a scenario's agent is configured exactly as a
// deployed one. agent/cli keeps its parser unexported; this is a copy, and
// TestAgentFlagsMatchCLI fails when the two drift apart. -log-level,
// -log-format, -stats-file and -version are accepted and ignored: the runner
// logs and reads the counters itself.
func AgentConfig(args []string) (agent.Config, error) {
	var cfg agent.Config
	fs := agentFlagSet(&cfg)
	post, err := fs.parse(args)
	if err != nil {
		return cfg, err
	}
	return cfg, post()
}

type agentFlags struct {
	*flag.FlagSet
	finish func() error
}

func (f agentFlags) parse(args []string) (func() error, error) {
	if err := f.Parse(args); err != nil {
		return nil, err
	}
	if f.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: every setting is a flag", f.Arg(0))
	}
	return f.finish, nil
}

func agentFlagSet(cfg *agent.Config) agentFlags {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&cfg.Destination, "destination", "", "replay URL base")
	ports := portsFlag{80}
	fs.Var(&ports, "filter-request-port", "watched request ports")
	pct := fs.Float64("percentage", 100, "percentage of requests to replay")
	fs.StringVar(&cfg.PercentageBy, "percentage-by", "", "header or remoteaddr")
	fs.StringVar(&cfg.PercentageByHeader, "percentage-by-header", "", "header name")
	fs.BoolVar(&cfg.KeepHostHeader, "keep-host-header", false, "keep the Host header")
	fs.StringVar(&cfg.Input, "input", "udp", "udp, afpacket or pcap")
	fs.StringVar(&cfg.Listen, "listen", ":4789", "UDP listen address")
	fs.IntVar(&cfg.UDPSockets, "udp-sockets", 0, "SO_REUSEPORT sockets")
	rcvbuf := sizeFlag(8 << 20)
	fs.Var(&rcvbuf, "rcvbuf", "receive buffer size")
	fs.StringVar(&cfg.Interface, "interface", "", "capture interface")
	fs.StringVar(&cfg.Frames, "frames", "auto", "vxlan, inner or auto")
	ring := sizeFlag(64 << 20)
	fs.Var(&ring, "ring-size", "AF_PACKET ring size")
	fs.StringVar(&cfg.PcapFile, "pcap-file", "", "pcap file")
	fs.Float64Var(&cfg.PcapPace, "pcap-pace", 0, "pcap replay speed")
	vxport := fs.Uint("vxlan-port", 4789, "outer UDP port")
	var vnis vniFlag
	fs.Var(&vnis, "vni", "VNI allow-list")
	fs.IntVar(&cfg.Workers, "workers", 0, "reassembly workers")
	fs.IntVar(&cfg.QueueLen, "queue", 8192, "packets queued per worker")
	fs.IntVar(&cfg.MaxStreams, "max-streams", 100_000, "live TCP streams")
	maxBuf := sizeFlag(256 << 20)
	fs.Var(&maxBuf, "max-buffered", "memory overall")
	maxConnBuf := sizeFlag(4 << 20)
	fs.Var(&maxConnBuf, "max-conn-buffered", "out-of-order size per connection")
	fs.DurationVar(&cfg.GapTimeout, "gap-timeout", 2*time.Second, "missing segment wait")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", 2*time.Minute, "idle connection timeout")
	maxHeader := sizeFlag(64 << 10)
	fs.Var(&maxHeader, "max-header", "largest request head")
	maxBody := sizeFlag(10 << 20)
	fs.Var(&maxBody, "max-body", "largest request body")
	fs.IntVar(&cfg.ReplayWorkers, "replay-workers", 32, "concurrent replays")
	fs.IntVar(&cfg.ReplayQueue, "replay-queue", 10_000, "queued replays")
	fs.DurationVar(&cfg.ReplayTimeout, "replay-timeout", 10*time.Second, "replay timeout")
	fs.Float64Var(&cfg.RateLimit, "rate-limit", 0, "replays per second")
	fs.IntVar(&cfg.RateBurst, "rate-burst", 0, "burst")
	fs.BoolVar(&cfg.InsecureSkipVerify, "insecure-skip-verify", false, "accept any certificate")
	fs.DurationVar(&cfg.DrainTimeout, "drain-timeout", 10*time.Second, "drain timeout")
	fs.StringVar(&cfg.OutputPcap, "output-pcap", "", "pcapng file")
	fs.StringVar(&cfg.OutputJSONL, "output-jsonl", "", "JSON lines file")
	fs.IntVar(&cfg.HealthPort, "health-port", 0, "health-check port")
	fs.StringVar(&cfg.HealthAddr, "health-addr", "", "health-check address")
	fs.StringVar(&cfg.MetricsAddr, "metrics-addr", "", "metrics address")
	fs.DurationVar(&cfg.SummaryInterval, "summary-interval", 30*time.Second, "summary period")
	fs.String("log-level", "info", "ignored: the runner logs")
	fs.String("log-format", "text", "ignored: the runner logs")
	fs.String("stats-file", "", "ignored: the runner reads the counters")
	fs.Bool("version", false, "ignored")
	finish := func() error {
		if *pct == 0 {
			return errors.New("-percentage 0 would replay nothing: give a value in (0, 100]")
		}
		if *vxport == 0 || *vxport > 65535 {
			return fmt.Errorf("-vxlan-port %d: must be 1..65535", *vxport)
		}
		cfg.Percentage, cfg.Ports, cfg.VNIs, cfg.VXLANPort = *pct, ports, vnis, uint16(*vxport)
		cfg.RcvBuf, cfg.RingBytes = int(rcvbuf), int(ring)
		cfg.MaxBufferedBytes, cfg.MaxConnBufferedBytes = int(maxBuf), int(maxConnBuf)
		cfg.MaxHeaderBytes, cfg.MaxBodyBytes = int(maxHeader), int(maxBody)
		return nil
	}
	return agentFlags{FlagSet: fs, finish: finish}
}

type portsFlag []uint16

func (p *portsFlag) String() string { return fmt.Sprint([]uint16(*p)) }

func (p *portsFlag) Set(v string) error {
	var out []uint16
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 16)
		if err != nil || n == 0 {
			return fmt.Errorf("%q is not a port: give 1..65535, or a comma list such as 80,8080", f)
		}
		out = append(out, uint16(n))
	}
	*p = out
	return nil
}

type vniFlag []uint32

func (l *vniFlag) String() string { return fmt.Sprint([]uint32(*l)) }

func (l *vniFlag) Set(v string) error {
	var out []uint32
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 32)
		if err != nil || n > 1<<24-1 {
			return fmt.Errorf("%q is not a VNI: give 0..16777215, or a comma list such as 1,42", f)
		}
		out = append(out, uint32(n))
	}
	*l = out
	return nil
}

// sizeFlag is a byte count with an optional K, M or G suffix (powers of
// 1024; a trailing B or iB is allowed), as agent/cli reads it.
type sizeFlag int

func (s *sizeFlag) String() string { return strconv.Itoa(int(*s)) }

func (s *sizeFlag) Set(v string) error {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(v)), "B"), "I")
	mult := 1
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K':
			mult, t = 1<<10, t[:n-1]
		case 'M':
			mult, t = 1<<20, t[:n-1]
		case 'G':
			mult, t = 1<<30, t[:n-1]
		}
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return fmt.Errorf("%q is not a size: give bytes, optionally with K, M or G (e.g. 64M)", v)
	}
	*s = sizeFlag(n * mult)
	return nil
}
