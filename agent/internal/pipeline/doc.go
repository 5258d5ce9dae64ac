// Package pipeline joins the agent's stages: a Decoder per input goroutine
// (outer headers, VXLAN, VNI allow-list, inner Ethernet/IP/TCP, watched
// ports; no allocation per packet) hands each packet to one of a few
// reassembly workers chosen by a symmetric flow hash, through a bounded
// queue. Each worker owns a stream.Shard and flushes it periodically.
// Inline, there is no worker: the decoders feed one shard themselves,
// under a lock, and a flusher goroutine only flushes it.
package pipeline
