package workload

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"sync/atomic"
)

// SinkConfig is the built-in udp-sink's flags.
type SinkConfig struct {
	Port int // -port (default 4789)
}

// ParseSinkArgs reads the udp-sink's flags.
func ParseSinkArgs(args []string) (SinkConfig, error) {
	fs := newFlagSet("udp-sink")
	var c SinkConfig
	fs.IntVar(&c.Port, "port", 4789, "UDP port to swallow")
	err := parseFlags(fs, args, &c.Port)
	return c, err
}

// newFlagSet is a built-in program's flag set: its errors are returned,
// nothing is printed.
func newFlagSet(program string) *flag.FlagSet {
	fs := flag.NewFlagSet(program, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses a built-in program's args, which are flags only, and
// checks its -port.
func parseFlags(fs *flag.FlagSet, args []string, port *int) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *port < 1 || *port > 65535 {
		return fmt.Errorf("-port %d out of range 1-65535", *port)
	}
	return nil
}

// Sink swallows the datagrams sent to a UDP port and counts them: a mirror
// target that is not an agent, so that its kernel answers no ICMP port
// unreachable to the mirror source.
type Sink struct {
	pc      net.PacketConn
	packets atomic.Int64
	bytes   atomic.Int64
	done    chan struct{}
}

// StartSink reads from pc (made by the caller in the instance's namespace)
// until Close.
func StartSink(pc net.PacketConn) *Sink {
	s := &Sink{pc: pc, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		buf := make([]byte, 65536)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			s.packets.Add(1)
			s.bytes.Add(int64(n))
		}
	}()
	return s
}

// Counts returns the datagrams and bytes received so far.
func (s *Sink) Counts() (packets, bytes int64) { return s.packets.Load(), s.bytes.Load() }

// Close stops the sink.
func (s *Sink) Close() error {
	err := s.pc.Close()
	<-s.done
	return err
}
