// Package input reads mirrored traffic: VXLAN datagrams from UDP sockets
// (several SO_REUSEPORT sockets, batched recvmmsg, large receive buffers),
// frames from an interface with AF_PACKET (TPACKET_V3, no cgo), and frames
// from pcap or pcapng files. Every socket is made through an optional
// InNamespace hook so the agent can run inside a network namespace.
package input
