// Package agent is the decap agent: it receives mirrored VXLAN traffic,
// rebuilds the TCP streams towards the watched ports, parses the HTTP/1.x
// requests and replays them to a destination. It depends on nothing else in
// this repository, so it builds and runs on a real cloud instance.
package agent
