package spec

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
