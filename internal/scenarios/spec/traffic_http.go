package spec

import (
	"fmt"
	"strings"
)

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

func (h *HTTPLoad) check(k *kindCheck) {
	k.to("to", h.To)
	if h.Port != 0 && !validPort(h.Port) {
		k.at("port", "port %d out of range 1-65535", h.Port)
	}
	if h.Rate < 0 || h.Count < 0 || h.Connections < 0 {
		k.at("", "rate, count and connections cannot be negative")
	}
	for j, m := range h.Methods {
		if m == "" || strings.ToUpper(m) != m || strings.ContainsAny(m, " /") {
			k.at(fmt.Sprintf("methods[%d]", j), "method %q: want an upper-case token like GET", m)
		}
	}
	for j, path := range h.Paths {
		if !strings.HasPrefix(path, "/") {
			k.at(fmt.Sprintf("paths[%d]", j), "path %q must start with /", path)
		}
	}
}

func (h *HTTPLoad) describe(from string) string { return fmt.Sprintf("%s -> %s", from, h.To) }

// PortOrDefault is the port the load connects to (default 80).
func (h *HTTPLoad) PortOrDefault() int {
	if h.Port == 0 {
		return 80
	}
	return h.Port
}
