// Package stream rebuilds the request direction of mirrored TCP connections
// with gopacket/reassembly and feeds each connection's bytes to an HTTP
// request parser.
//
// A Shard owns one Assembler and one StreamPool and is used by a single
// goroutine; callers spread connections over shards by a symmetric flow
// hash. Memory is bounded: out-of-order pages per connection and per shard
// (reassembly options), request bytes per connection (parser limits) and
// overall (a shared counter), and the number of live streams. Idle
// connections are flushed by Flush.
package stream
