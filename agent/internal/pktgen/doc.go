// Package pktgen builds mirrored traffic for tests and benchmarks: the
// client side of TCP connections (SYN, data segments, FIN) as inner
// Ethernet frames, wrapped in VXLAN and, when needed, in outer
// Ethernet/IPv4/UDP. It favours clarity over speed and allocates freely.
package pktgen
