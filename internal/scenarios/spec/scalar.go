package spec

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// protocol is an IP protocol: an IANA number, -1 for all, or a name (tcp,
// udp, icmp, all).
type protocol int

// protocolAll matches every protocol.
const protocolAll protocol = -1

var protocolNames = map[string]protocol{"all": -1, "-1": -1, "icmp": 1, "tcp": 6, "udp": 17, "icmpv6": 58}

// parseProtocol reads a protocol name or number.
func parseProtocol(s string) (protocol, error) {
	if p, ok := protocolNames[strings.ToLower(s)]; ok {
		return p, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < -1 || n > 255 {
		return 0, fmt.Errorf("protocol %q: want tcp, udp, icmp, all, -1 or a number 0-255", s)
	}
	return protocol(n), nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (p *protocol) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return typeErr(n, "protocol must be a name or number")
	}
	v, err := parseProtocol(n.Value)
	if err != nil {
		return typeErr(n, err.Error())
	}
	*p = v
	return nil
}

// String names the protocol.
func (p protocol) String() string {
	for name, v := range protocolNames {
		if v == p && name != "-1" {
			return name
		}
	}
	return strconv.Itoa(int(p))
}

// ipPrefix is a CIDR block; the zero value means "not given".
type ipPrefix struct{ netip.Prefix }

// UnmarshalYAML implements yaml.Unmarshaler.
func (p *ipPrefix) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return typeErr(n, "CIDR block must be a string like 10.0.0.0/24")
	}
	v, err := netip.ParsePrefix(n.Value)
	if err != nil {
		return typeErr(n, fmt.Sprintf("CIDR block %q: %v", n.Value, err))
	}
	if v.Masked() != v {
		return typeErr(n, fmt.Sprintf("CIDR block %q has host bits set (network is %s)", n.Value, v.Masked()))
	}
	p.Prefix = v
	return nil
}

// ipAddr is an IP address; the zero value means "not given".
type ipAddr struct{ netip.Addr }

// UnmarshalYAML implements yaml.Unmarshaler.
func (a *ipAddr) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return typeErr(n, "address must be a string like 10.0.0.5")
	}
	v, err := netip.ParseAddr(n.Value)
	if err != nil {
		return typeErr(n, fmt.Sprintf("address %q: %v", n.Value, err))
	}
	a.Addr = v
	return nil
}

// Duration is a Go duration string ("2s", "500ms").
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return typeErr(n, "duration must be a string like 2s or 500ms")
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return typeErr(n, fmt.Sprintf("duration %q: want a string like 2s or 500ms", n.Value))
	}
	*d = Duration(v)
	return nil
}

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Or returns d, or def when d is zero.
func (d Duration) Or(def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return time.Duration(d)
}

// typeErr makes an error that the YAML decoder collects with the others
// (a *yaml.TypeError), so one run reports every bad value.
func typeErr(n *yaml.Node, msg string) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s", n.Line, msg)}}
}
