package agent

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	respcmp "github.com/mirrorlab/mirrorlab/agent/compare"
	"github.com/mirrorlab/mirrorlab/agent/internal/replay"
)

// Config is the whole agent configuration; every command-line flag is a
// field. The zero value of a field means its default.
type Config struct {
	// Input is "udp" (default), "afpacket" or "pcap".
	Input string
	// Listen is the UDP listen address (default ":4789").
	Listen string
	// UDPSockets is the number of SO_REUSEPORT sockets (default: GOMAXPROCS).
	UDPSockets int
	// RcvBuf is each UDP socket's receive buffer (default 8 MiB).
	RcvBuf int
	// Interface is the AF_PACKET capture interface.
	Interface string
	// Frames says what captured frames hold: "vxlan", "inner" (a kernel
	// vxlan device) or "auto" (default: inner on an interface named
	// vxlan*, else vxlan; per frame for pcap input).
	Frames string
	// RingBytes is the AF_PACKET ring size (default 64 MiB).
	RingBytes int
	// PcapFile is the pcap or pcapng file to read.
	PcapFile string
	// PcapPace is the replay speed of the file: 0 as fast as possible, 1
	// the recorded pace.
	PcapPace float64
	// VXLANPort is the outer UDP port of captured VXLAN (default 4789).
	VXLANPort uint16
	// Geneve: the copies arrive from a Gateway Load Balancer, in GENEVE
	// (UDP 6081) around the VXLAN datagram. With input udp the datagrams
	// are decoded as GENEVE (Listen defaults to ":6081"); with afpacket the
	// kernel filter keeps UDP to 6081. Captured frames to UDP 6081 are
	// decoded as GENEVE either way.
	Geneve bool
	// VNIs is the VNI allow-list (empty: all).
	VNIs []uint32

	// Ports are the watched request ports (default 80).
	Ports []uint16
	// Workers is the number of reassembly workers (default: 1 on up to
	// two CPUs, else GOMAXPROCS). With one, there is no worker: packets
	// are reassembled on the input goroutines themselves (no queue, no
	// copy, no hand-off to another goroutine per packet).
	Workers int
	// QueueLen is each worker's packet queue (default 8192).
	QueueLen int
	// MaxStreams caps live TCP streams (default 100 000).
	MaxStreams int
	// MaxBufferedBytes is the memory budget (default 256 MiB): streams,
	// reassembly, partial requests, decoded bodies, queued packets and
	// queued replays are all charged to it (see package budget).
	MaxBufferedBytes int
	// MaxConnBufferedBytes caps out-of-order bytes per connection (4 MiB).
	MaxConnBufferedBytes int
	// GapTimeout is how long a missing segment is waited for (default 2s).
	GapTimeout time.Duration
	// IdleTimeout closes silent connections (default 2m).
	IdleTimeout time.Duration
	// MaxHeaderBytes and MaxBodyBytes bound one request (64 KiB, 10 MiB).
	MaxHeaderBytes int
	MaxBodyBytes   int

	// Destination is the replay base URL; empty only when an output file
	// is given (record without replaying).
	Destination        string
	KeepHostHeader     bool
	Percentage         float64 // (0, 100], 0 means 100
	PercentageBy       string  // "", "header", "remoteaddr"
	PercentageByHeader string
	ReplayWorkers      int           // default 32
	ReplayQueue        int           // default 10 000
	ReplayTimeout      time.Duration // default 10s
	RateLimit          float64       // requests/s, 0: none
	RateBurst          int
	InsecureSkipVerify bool
	// DrainTimeout bounds the replay of queued requests on shutdown
	// (default 10s).
	DrainTimeout time.Duration

	// Compare turns on shadow testing: the response direction of each
	// mirrored connection is rebuilt (the filter must mirror the source's
	// egress from the watched ports too) and production's responses are
	// compared with the destination's responses to the replays.
	Compare bool
	// CompareBaseline is a second destination running production's
	// version: every request is replayed to it too, and differences it
	// shares with production count as noise.
	CompareBaseline string
	// CompareIgnoreHeaders and CompareIgnoreJSON add header names and
	// JSON paths not compared.
	CompareIgnoreHeaders []string
	CompareIgnoreJSON    []string
	// CompareOutput writes one JSON line per differing pair.
	CompareOutput string
	// CompareTimeout drops a pair still missing a response (default 30s).
	CompareTimeout time.Duration
	// CompareBodyBytes is how much of each response body, production's and
	// the test's, is kept and compared (default 64 KiB; longer bodies are
	// not compared).
	CompareBodyBytes int

	// OutputPcap writes the decapsulated frames as pcapng.
	OutputPcap string
	// OutputJSONL writes one JSON line per parsed request.
	OutputJSONL string
	// HealthPort opens a TCP (and HTTP) health-check listener on every
	// address (0: none).
	HealthPort int
	// HealthAddr, when set, is the health listener's address instead
	// (e.g. "10.0.0.20:8080" or "127.0.0.1:0").
	HealthAddr string
	// MetricsAddr serves /metrics, /stats and /healthz ("": none).
	MetricsAddr string
	// SummaryInterval is the period of the one-line summary log (default
	// 30s; negative: never).
	SummaryInterval time.Duration
	Logger          *slog.Logger

	// TuneProcs says the agent owns its process (the command line sets
	// it): it then runs on one scheduler P (GOMAXPROCS 1) while it uses
	// less than half a core, and on all of them above (see procs.go).
	// A library caller's GOMAXPROCS is left alone without it.
	TuneProcs bool

	// InNamespace, when set, is used to create every socket (UDP
	// listeners, AF_PACKET, health and metrics listeners, replay dials),
	// so the agent can run in-process inside a network namespace.
	InNamespace func(fn func() error) error
}

// Validate reports every problem in c at once, each saying what to fix.
func (c *Config) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	c.checkInput(add)
	c.checkLimits(add)
	if c.Destination == "" && c.OutputJSONL == "" && c.OutputPcap == "" {
		add("destination: required (e.g. -destination http://10.0.0.40), unless -output-jsonl or -output-pcap records the traffic instead")
	}
	c.checkCompare(add)
	rc := c.replayConfig()
	if rc.Destination == "" {
		rc.Destination = "http://recording.invalid" // only record: check the other replay settings
	}
	if err := rc.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// addProblem records one problem found by Validate.
type addProblem func(format string, a ...any)

// checkInput checks the input and what it lets through (VNIs, ports).
func (c *Config) checkInput(add addProblem) {
	switch c.Input {
	case "", "udp":
	case "afpacket":
		if c.Interface == "" {
			add("input afpacket: give the capture interface with -interface (e.g. eth0 or vxlan0)")
		}
	case "pcap":
		if c.PcapFile == "" {
			add("input pcap: give the file with -pcap-file")
		}
	default:
		add("input %q: must be udp, afpacket or pcap", c.Input)
	}
	switch c.Frames {
	case "", "auto", "vxlan", "inner":
	default:
		add("frames %q: must be auto, vxlan or inner", c.Frames)
	}
	if c.PcapPace < 0 {
		add("pcap-pace %v: must be 0 (as fast as possible) or a positive speed factor", c.PcapPace)
	}
	for _, v := range c.VNIs {
		if v > 1<<24-1 {
			add("vni %d: VNIs are 24-bit (0..16777215)", v)
		}
	}
	for _, p := range c.Ports {
		if p == 0 {
			add("filter-request-port 0: ports are 1..65535")
		}
	}
}

// checkLimits checks the listeners' ports, the sizes and the timeouts.
func (c *Config) checkLimits(add addProblem) {
	if c.HealthPort < 0 || c.HealthPort > 65535 {
		add("health-port %d: must be 1..65535 (0: no health listener)", c.HealthPort)
	}
	for name, v := range map[string]int{"workers": c.Workers, "queue": c.QueueLen, "max-streams": c.MaxStreams,
		"max-buffered-bytes": c.MaxBufferedBytes, "max-conn-buffered-bytes": c.MaxConnBufferedBytes,
		"max-header-bytes": c.MaxHeaderBytes, "max-body-bytes": c.MaxBodyBytes, "rcvbuf": c.RcvBuf,
		"udp-sockets": c.UDPSockets} {
		if v < 0 {
			add("%s %d: must not be negative", name, v)
		}
	}
	if c.GapTimeout < 0 || c.IdleTimeout < 0 || c.DrainTimeout < 0 {
		add("timeouts must not be negative")
	}
}

// checkCompare checks the settings of -compare, and that none is given
// without it.
func (c *Config) checkCompare(add addProblem) {
	if c.Compare {
		if c.Destination == "" {
			add("compare: needs -destination (the test environment whose responses are compared)")
		}
		if c.CompareBaseline != "" {
			bc := c.replayConfig()
			bc.Destination = c.CompareBaseline
			if err := bc.Validate(); err != nil {
				add("compare-baseline: %v", err)
			}
			if strings.TrimRight(c.CompareBaseline, "/") == strings.TrimRight(c.Destination, "/") {
				add("compare-baseline %s: is the -destination itself; the baseline is a second server running production's version (with the test server as its own baseline, every regression would count as noise)", c.CompareBaseline)
			}
		}
		if _, err := respcmp.New(respcmp.Options{IgnoreHeaders: c.CompareIgnoreHeaders, IgnoreJSON: c.CompareIgnoreJSON}); err != nil {
			add("compare-ignore-header/-compare-ignore-json: %v", err)
		}
		if c.CompareTimeout < 0 || c.CompareBodyBytes < 0 {
			add("compare-timeout and compare-body must not be negative")
		}
	} else if c.CompareBaseline != "" || c.CompareOutput != "" || len(c.CompareIgnoreHeaders)+len(c.CompareIgnoreJSON) > 0 {
		add("compare-baseline, -compare-output and -compare-ignore-*: also give -compare")
	}
}

func (c *Config) replayConfig() replay.Config {
	return replay.Config{
		Destination:        c.Destination,
		KeepHostHeader:     c.KeepHostHeader,
		Percentage:         c.Percentage,
		PercentageBy:       c.PercentageBy,
		PercentageByHeader: c.PercentageByHeader,
		Workers:            c.ReplayWorkers,
		QueueSize:          c.ReplayQueue,
		Timeout:            c.ReplayTimeout,
		RateLimit:          c.RateLimit,
		Burst:              c.RateBurst,
		InsecureSkipVerify: c.InsecureSkipVerify,
	}
}

// inNS runs fn through InNamespace when set.
func (c *Config) inNS(fn func() error) error {
	if c.InNamespace == nil {
		return fn()
	}
	return c.InNamespace(fn)
}
