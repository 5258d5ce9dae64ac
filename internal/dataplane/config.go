package dataplane

import (
	"log/slog"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/dataplane/internal/kpath"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// DefaultMark is the SO_MARK the service puts on every datagram it sends
// (mirror copies and health checks); the captures drop frames carrying it.
const DefaultMark = 0x6d6c6d72 // "mlmr"

// Config describes a mirror service: plain data, no OS state. Start turns
// it into a running Service.
type Config struct {
	// Model is the provider model: it decides, encapsulates, checks
	// delivery and keeps the provider's counters. Required.
	Model *cloudmock.Model
	// Spec is the Spec Model was built from. It is needed only for load
	// balancer targets (their registered targets are health-checked); nil
	// disables health checks until Apply gives one.
	Spec *cloudmock.Spec
	// Lab is the emulated VPC the model's ENIs live in. Required.
	Lab *sim.Lab
	// ENIs maps a NetworkInterfaceId to the sim ENI realising it. An ENI
	// not listed is found by its primary IPv4 address (Lab.ENIByIP).
	ENIs map[string]*sim.ENI
	// AllENIs opens captures on every ENI of the model, not only the
	// sources of its sessions, so that a session created later by Apply
	// may take any ENI as its source (a served lab). Each ENI costs two
	// rings and two queues, and its traffic is read and decided (as "no
	// session") even while no session mirrors it.
	AllENIs bool

	// QueueLen is the number of datagram buffers between each capture
	// (one per source ENI and direction) and its sender; when they are all
	// in use, copies are skipped and counted (default 16384: on the
	// shared 2-core development VM, 4096 overflowed at 120 kpps of small
	// frames while the sender thread waited for a core, although it kept
	// up on average). A copy whose frame stays in the ring takes a
	// 256-byte buffer, allocated 16 at a time as the queue first gets
	// that deep; a slot gets a buffer for the largest datagram the first
	// time it carries a copy written whole (a GSO segment, a VLAN-tagged
	// frame, a copy over IPv6). Left at 0, a lab of more than 4 pipelines
	// gets shorter queues (see queueLenFor): a queue's slot table alone is
	// about 170 bytes a slot, written when allocated, and 4096-slot queues
	// cost 1.4 GB for 1000 sources.
	QueueLen int
	// Batch is the most datagrams per sendmmsg (default 64).
	Batch int
	// Ring sizes the AF_PACKET rings (one per source ENI).
	Ring RingOptions
	// RoutedSend sends every copy as an IPv4 datagram routed by the source's
	// fabric (a raw socket; the kernel fills in the IPv4 id), instead of
	// writing the outer frame onto the receiver's bridge port. The bytes
	// are the same but for the id; it costs more. For comparing the two
	// paths.
	RoutedSend bool
	// Mark is the SO_MARK of the service's own traffic (default DefaultMark).
	Mark uint32
	// PcapDir, when set, receives <TrafficMirrorTargetId>.pcapng per target:
	// every datagram sent to it, as an outer Ethernet frame. A copy sent
	// directly (the default) reaches the receiver's interface exactly as
	// recorded; a routed one (RoutedSend, or a receiver without a bridge
	// port) differs on the wire in its IPv4 id, which the kernel fills in.
	// The in-kernel path stays on: it streams the copies it sends out
	// through a perf buffer into the same files (kernel_pcap_linux.go).
	PcapDir string
	// UserSpaceOnly decides every packet in user space: no in-kernel path
	// (see doc.go). The in-kernel path is also off with RoutedSend.
	UserSpaceOnly bool
	// HealthCheck configures the checks of load balancers' targets.
	HealthCheck HealthCheck
	// Logger receives start/stop and error messages (never per packet);
	// nil discards them.
	Logger *slog.Logger
	// Preload, when set, holds in-kernel paths loaded ahead of Start
	// (StartPreload): Start takes them instead of loading its own. The
	// caller closes it after Start (Preload.Close releases what Start did
	// not take).
	Preload *Preload

	// loadKernel loads one fabric's in-kernel path (nil: kpath.Load);
	// tests inject its failures.
	loadKernel func() (*kpath.Path, error)
}

// Default queue lengths: the longest, and the fewest slots a pipeline of
// a large lab gets; all the pipelines share queueSlotBudget slots when the
// shortest queue allows.
const (
	defaultQueueLen = 16384
	minQueueLen     = 256
	queueSlotBudget = 64 << 10
)

// queueLenFor returns the length of each of n pipelines' queues: QueueLen
// when set, else the default, cut so that the n queues share
// queueSlotBudget slots, down to minQueueLen.
func (c Config) queueLenFor(n int) int {
	if c.QueueLen > 0 {
		return c.QueueLen
	}
	if n <= 0 {
		return defaultQueueLen
	}
	return min(defaultQueueLen, max(minQueueLen, queueSlotBudget/n))
}

func (c Config) withDefaults() Config {
	if c.Batch <= 0 {
		c.Batch = 64
	}
	if c.Mark == 0 {
		c.Mark = DefaultMark
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.HealthCheck = c.HealthCheck.withDefaults()
	return c
}
