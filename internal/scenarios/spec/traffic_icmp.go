package spec

// ICMPEcho sends ICMP (ICMPv6 to an IPv6 address) echo requests; it has
// no ports.
type ICMPEcho struct {
	Sender `yaml:",inline"`
}

func (e *ICMPEcho) check(k *kindCheck) { e.Sender.check(k, false) }
