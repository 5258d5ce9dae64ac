package dataplane

import "sync/atomic"

// DropReason says why a mirrored copy was not sent. The model's decision
// comes first: only packets the model mirrors reach these.
type DropReason uint8

const (
	// DropTargetNACL: the target subnet's network ACL denies the datagram.
	DropTargetNACL DropReason = iota
	// DropTargetSG: the target's security group lacks UDP 4789 from the
	// source.
	DropTargetSG
	// DropNoListener: a load balancer without a UDP 4789 listener (silent
	// loss, as on AWS).
	DropNoListener
	// DropNoHealthyTarget: a load balancer with no healthy registered
	// target.
	DropNoHealthyTarget
	// DropNoRoute: the target is in another VPC that the source VPC has
	// no route to (no active peering connection).
	DropNoRoute
	// DropQueueFull: the queue to the sender was full; counted by the model
	// as NetworkSkipMirrorIn/Out (production traffic had priority).
	DropQueueFull
	// DropSendError: the kernel refused the datagram (no route, EMSGSIZE,
	// socket buffer full beyond the send timeout).
	DropSendError
	// DropOversize: the datagram would exceed any MTU of the VPC (a GSO
	// aggregate the model's rules did not truncate).
	DropOversize
	// DropOther: any other verdict (a receiver outside the service's reach,
	// IPv6 outer addresses).
	DropOther
	numDropReasons
)

var dropReasonNames = [numDropReasons]string{
	"target_nacl", "target_sg", "no_listener", "no_healthy_target", "no_route",
	"queue_full", "send_error", "oversize", "other",
}

// String is the reason's metric label.
func (r DropReason) String() string {
	if r < numDropReasons {
		return dropReasonNames[r]
	}
	return "unknown"
}

// pipeStats are the counters of one pipeline (one source ENI, one
// direction). Written by its capture and sender goroutines, read by
// Snapshot and the Prometheus collector; atomics only.
type pipeStats struct {
	captured   atomic.Uint64 // wire frames seen (after cutting GSO aggregates)
	aggregates atomic.Uint64 // GSO aggregates cut into wire segments
	uncut      atomic.Uint64 // GSO aggregates that could not be cut (handled whole)
	foreign    atomic.Uint64 // frames not addressed to/from the ENI (bridge flooding), ignored
	vlanTagged atomic.Uint64 // frames whose VLAN tag was put back from metadata
	mirrored   atomic.Uint64 // frames the model decided to mirror
	kernel     atomic.Uint64 // of those, mirrored by the in-kernel path
	sent       atomic.Uint64 // datagrams the kernel accepted
	sentBytes  atomic.Uint64 // their IPv4 length
	dropped    [numDropReasons]atomic.Uint64
}

// targetStats count what went to one target address.
type targetStats struct {
	sent      atomic.Uint64
	sentBytes atomic.Uint64
}
