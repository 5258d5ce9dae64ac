// Package agent is the decap agent: it receives mirrored VXLAN traffic,
// rebuilds the TCP streams towards the watched ports, parses the HTTP/1.x
// requests and replays them to a destination. It depends on nothing else in
// this repository, so it builds and runs on a real cloud instance.
//
// Config holds every setting (each command-line flag of agent/cli is a
// field); New checks it, Run runs until its context is done and then drains.
// With Config.InNamespace set, every socket the agent makes (UDP listeners,
// AF_PACKET, health and metrics listeners, replay dials) is made through
// that hook, so a caller can run the agent in-process inside a network
// namespace:
//
//	a, err := agent.New(agent.Config{
//		Destination: "http://10.0.0.40",
//		Ports:       []uint16{80},
//		VNIs:        []uint32{1},
//		InNamespace: func(fn func() error) error { return nsrun.Run(ns, fn) },
//	})
//	...
//	go func() { errc <- a.Run(ctx) }()
//	<-a.Ready()           // sockets open
//	a.Addr("udp")         // bound addresses ("udp", "health", "metrics")
//	a.Stats()             // JSON-able counters, at any time
//	a.Registry()          // the agent's own Prometheus registry
//
// The stages are packages under agent/internal (only the agent uses them;
// agent/cli, the command line, and agent/compare, the shadow comparison,
// are its public parts): vxlan and frame (zero-allocation decoding),
// input (UDP, AF_PACKET, pcap), pipeline (decoders and reassembly workers),
// stream (gopacket/reassembly glue with memory bounds), httpparse
// (incremental request parser), replay (ordered, bounded replay), metrics
// (counters, snapshot, Prometheus collector), budget (the memory bound),
// geneve and shadow. pktgen builds mirrored traffic for tests and benchmarks.
package agent
