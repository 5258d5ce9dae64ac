package spec

import "fmt"

// Program is a long-running program on an instance: a built-in (the HTTP
// server that logs every request, our decap agent, or a UDP sink that
// swallows mirrored traffic at a target that runs no agent) or any command.
// Exactly one of Builtin and Command is set.
type Program struct {
	Name     string `yaml:"name"`
	Instance string `yaml:"instance"`
	// Builtin is "http-server", "agent" or "udp-sink"; Args are its flags.
	Builtin string   `yaml:"builtin"`
	Args    []string `yaml:"args"`
	// Command is the argv of any program, run inside the instance.
	Command []string `yaml:"command"`
	Env     []string `yaml:"env"`
	Ready   *Ready   `yaml:"ready"`
}

// Ready says when a program is ready. Built-ins are ready when they listen;
// commands are ready when every condition given holds (none: at once).
type Ready struct {
	// TCPPort: something listens on this TCP port in the instance, on
	// loopback or on one of the instance's ENI addresses.
	TCPPort int `yaml:"tcpPort"`
	// LogContains: a line of the program's output contains this text.
	LogContains string `yaml:"logContains"`
	// Delay: wait this long after start (after the other conditions).
	Delay Duration `yaml:"delay"`
	// Timeout for the conditions (default 10s).
	Timeout Duration `yaml:"timeout"`
}

// VXLANDevice is a kernel VXLAN device in an instance
// (`ip link add NAME type vxlan id VNI dev ENI dstport 4789`).
type VXLANDevice struct {
	Name string `yaml:"name"`
	VNI  int    `yaml:"vni"`
	// NetworkInterface is the underlying ENI (default: the first).
	NetworkInterface string `yaml:"networkInterface"`
}

// Traffic is one traffic step, run in file order. Exactly one kind is set.
type Traffic struct {
	Name string `yaml:"name"`
	// From is the instance that sends (not used by replay).
	From    string    `yaml:"from"`
	HTTP    *HTTPLoad `yaml:"http"`
	TCP     *Sender   `yaml:"tcp"`
	UDP     *Sender   `yaml:"udp"`
	ICMP    *Sender   `yaml:"icmp"`
	Replay  *Replay   `yaml:"replay"`
	Command []string  `yaml:"command"`
	// AllowFailure lets a command, or senders whose packets are blocked, fail
	// without failing the run.
	AllowFailure bool `yaml:"allowFailure"`
}

// HTTPLoad is the built-in HTTP client load.
type HTTPLoad struct {
	// To is an instance name, instance/interface, or an IP address.
	To   string `yaml:"to"`
	Port int    `yaml:"port"` // default 80
	// Rate in requests per second (0: as fast as the server answers).
	Rate float64 `yaml:"rate"`
	// Duration or Count bounds the load (neither: 20 requests).
	Duration Duration `yaml:"duration"`
	Count    int      `yaml:"count"`
	// Paths, Methods and Bodies are cycled through (request i takes
	// element i mod len); defaults "/", "GET", no body.
	Paths   []string          `yaml:"paths"`
	Methods []string          `yaml:"methods"`
	Bodies  []string          `yaml:"bodies"`
	Headers map[string]string `yaml:"headers"`
	// KeepAlive reuses connections (default true).
	KeepAlive *bool `yaml:"keepAlive"`
	// Connections is the number of concurrent clients (default 1).
	Connections int      `yaml:"connections"`
	Timeout     Duration `yaml:"timeout"`
}

// Sender sends TCP, UDP or ICMP packets.
type Sender struct {
	To   string `yaml:"to"`
	Port int    `yaml:"port"` // TCP/UDP destination port
	// SourcePort for UDP (default: any).
	SourcePort int `yaml:"sourcePort"`
	Count      int `yaml:"count"` // default 1
	// Size of each payload in bytes (default 64); Payload overrides it.
	Size    int     `yaml:"size"`
	Payload string  `yaml:"payload"`
	Rate    float64 `yaml:"rate"` // packets (or connections) per second; 0: no pacing
}

// Replay writes the frames of a pcap/pcapng file onto an interface.
type Replay struct {
	File string `yaml:"file"` // relative to the scenario file
	// NetworkInterface is the ENI the frames pass.
	NetworkInterface string `yaml:"networkInterface"`
	// Direction egress (default): the instance sends them; ingress: they
	// arrive at the instance.
	Direction string  `yaml:"direction"`
	Rate      float64 `yaml:"rate"` // frames per second; 0: no pacing
}

// StepName is the traffic step's name in reports: its own, or
// traffic[i] for the i-th step.
func (t Traffic) StepName(i int) string {
	if t.Name != "" {
		return t.Name
	}
	return fmt.Sprintf("traffic[%d]", i)
}
