// Package bench measures the mirror path and the decap agent beside kernel
// references and a peer agent measured in the same run, and compares results
// against a stored baseline.
//
// Run it as root (it builds network namespaces; the host's own namespace is
// never changed):
//
//	mirrorlab bench [--smoke] [--out DIR] [--runs N] [--only PARTS] [--sizes 64,1400] [--loads 500,2000]
//	mirrorlab bench compare OLD/result.json NEW/result.json [--tolerance 0.1]
//
// The run writes DIR/result.json (the baseline format, package report), results.md
// and SVG plots, and prints the Markdown on stdout with progress on stderr.
//
// What is measured, each part in namespaces of its own:
//
//   - References (package ref): a generator namespace sending to a sink over
//     a veth pair; the same through kernel VXLAN devices; the kernel's own
//     mirror, tc clsact + u32 match-all + mirred egress mirror into a VXLAN
//     device. Interface counters tell what arrived, so sinks cost nothing.
//   - Ours, mirror path (package vpc): the reference walk-through's VPC
//     realised by package sim, our mirror data plane copying production's
//     traffic to the adapter; the generator sends from a client instance.
//     For each packet size, an RFC 2544-style search (package gen) finds the
//     highest offered rate with no loss of production packets nor of mirror
//     copies, and measures the loss curve above it; copies delivered and
//     production loss at the generator's top rate; CPU per million packets.
//   - Ours, by target (part lbtargets): the same search with the session's
//     target an NLB (copies on to its one healthy target, the adapter) and a
//     GWLB endpoint (copies on to the adapter in GENEVE), in the kernel and
//     in user space, beside the ENI target, each divided by tc mirred to the
//     ENI on the same path.
//   - Ours, kernel share (part kernelshare): library scenarios of each kind
//     (ENI, NLB, GWLB, cross-VPC, IPv6) run as `mirrorlab run` runs them;
//     the copies the in-kernel path decided ÷ all copies, per kind, over
//     the kinds and, in a full run, over the whole library.
//   - Ours, agent: decode rate from a pcap file and on the UDP input; then,
//     with our agent on the adapter's UDP 4789 replaying to the test server,
//     HTTP load on production at each offered load: completeness (request
//     ids the test server received ÷ ids production served) and replay lag.
//   - The peer: GoReplay capturing on a kernel vxlan0 in the adapter (the
//     walk-through's set-up), at the same loads, with its CPU and peak RSS.
//   - The replay ceiling: the same HTTP load straight at the test server.
//
// Each figure is measured Runs times (median and min–max reported); our
// figures carry ratios to their same-run reference, paired run by run. The
// comparison checks only our figures, by ratio where there is one, so a
// slower machine does not read as a regression.
//
// A 2-core machine bounds the generator (one thread doing the kernel's
// forwarding work as it sends): a path that loses nothing at the generator's
// top rate is reported at that rate and marked generator-limited.
package bench
