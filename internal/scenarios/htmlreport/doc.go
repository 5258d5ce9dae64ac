// Package htmlreport writes a run's report as one self-contained HTML page:
// the topology drawn as inline SVG (VPCs, subnets, instances, network
// interfaces, load balancers, and each mirror session as an arrow from its
// source interface to its target, labelled with its VNI and filter), the
// per-session counters, what arrived at each receiver, the requests
// matched, the expectations with their verdicts, and the run's timeline.
// The page fetches nothing: its CSS is inline, it has no scripts and no
// external fonts, so it can be kept as a CI artifact and opened anywhere.
package htmlreport
