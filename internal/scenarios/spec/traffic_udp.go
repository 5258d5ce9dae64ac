package spec

// UDPSend sends UDP datagrams.
type UDPSend struct {
	Sender `yaml:",inline"`
}

func (u *UDPSend) check(k *kindCheck) { u.Sender.check(k, true) }
