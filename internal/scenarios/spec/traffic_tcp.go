package spec

// TCPSend opens TCP connections and sends a payload on each.
type TCPSend struct {
	Sender `yaml:",inline"`
}

func (t *TCPSend) check(k *kindCheck) { t.Sender.check(k, true) }
