// Package workload holds the built-in programs and traffic of a scenario:
// an HTTP server that logs every request it gets, an HTTP load generator,
// TCP/UDP/ICMP senders and pcap replay. They need nothing but the binary.
//
// Nothing here enters a namespace itself: the caller passes a Net whose
// functions create sockets where they belong (the runner makes them inside an
// instance's network namespace; tests use the host's loopback).
package workload
