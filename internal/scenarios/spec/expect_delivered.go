package spec

import "github.com/mirrorlab/mirrorlab/cloudmock"

// delivered counts mirrored datagrams delivered to a target.
type delivered struct {
	Target string `yaml:"target"`
	Count  `yaml:",inline"`
}

func (d *delivered) check(k *kindCheck) {
	_, ok := k.s.refs.targets[d.Target]
	k.need("target", d.Target, ok, "mirror target")
	k.count("", &d.Count)
}

func (d *delivered) describe() string { return "delivered to " + d.Target }

func (d *delivered) judge(j *judging) {
	var n int64
	for _, ss := range j.sessionsOf(d.Target) {
		c := j.o.Model.Sessions[ss.TrafficMirrorSessionId]
		n += int64(c.Delivery[cloudmock.Delivered.String()]) - int64(c.SkipPackets)
	}
	j.count(d.Count, max(n, 0))
}
