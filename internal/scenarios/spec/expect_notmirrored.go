package spec

import (
	"cmp"
	"fmt"
)

// notMirrored counts the packets a source interface saw that were not
// mirrored, by the model's reason code (rejected-by-rule, no-rule-matched,
// never-mirrored-amazon-dns, …; empty: every reason).
type notMirrored struct {
	NetworkInterface string `yaml:"networkInterface"`
	Reason           string `yaml:"reason"`
	Count            `yaml:",inline"`
}

func (m *notMirrored) check(k *kindCheck) {
	_, ok := k.s.refs.enis[m.NetworkInterface]
	k.need("networkInterface", m.NetworkInterface, ok, "network interface")
	k.count("", &m.Count)
}

func (m *notMirrored) describe() string {
	return fmt.Sprintf("not mirrored at %s (%s)", m.NetworkInterface, cmp.Or(m.Reason, "any reason"))
}

func (m *notMirrored) judge(j *judging) {
	var n uint64
	for reason, v := range j.o.Model.ENIs[m.NetworkInterface].NotMirrored {
		if m.Reason == "" || reason == m.Reason {
			n += v
		}
	}
	j.count(m.Count, int64(n))
}
