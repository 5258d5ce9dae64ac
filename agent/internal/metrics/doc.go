// Package metrics holds the agent's counters: lock-free atomics updated on
// the packet and request paths, a JSON-able Snapshot of them, and a
// Prometheus collector that exposes them on a registry of the agent's own.
package metrics
