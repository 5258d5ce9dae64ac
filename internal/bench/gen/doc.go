// Package gen is the bench's traffic side: a paced AF_PACKET generator that
// sends prebuilt Ethernet/IPv4/UDP frames in batches (sendmmsg), counters
// read from a namespace's interfaces and /proc (what arrived, CPU spent), and
// an RFC 2544-style search for the highest offered rate with no loss and the
// loss curve above it.
//
// Everything that opens a socket is meant to run inside a namespace the
// bench created (see internal/nsrun); the package never changes the host's
// own namespace.
package gen
