package spec

import "slices"

// Mirrored counts mirrored packets, by session, by target, or by source
// interface; with none of them, over all sessions.
type Mirrored struct {
	Session          string `yaml:"session"`
	Target           string `yaml:"target"`
	NetworkInterface string `yaml:"networkInterface"`
	// Direction ingress or egress (default both; with networkInterface only).
	Direction string `yaml:"direction"`
	Count     `yaml:",inline"`
}

func (m *Mirrored) check(k *kindCheck) {
	r := k.s.refs
	_, okS := r.sessions[m.Session]
	_, okT := r.targets[m.Target]
	_, okE := r.enis[m.NetworkInterface]
	k.opt("session", m.Session, okS, "mirror session")
	k.opt("target", m.Target, okT, "mirror target")
	k.opt("networkInterface", m.NetworkInterface, okE, "network interface")
	if !oneOf(m.Direction, "", "ingress", "egress") {
		k.at("direction", "direction %q: want ingress or egress", m.Direction)
	} else if m.Direction != "" && m.NetworkInterface == "" {
		k.at("direction", "direction needs networkInterface")
	}
	k.count("", &m.Count)
}

func (m *Mirrored) describe() string { return "mirrored " + m.where() }

func (m *Mirrored) where() string {
	switch {
	case m.Session != "":
		return "by session " + m.Session
	case m.Target != "":
		return "to target " + m.Target
	case m.NetworkInterface != "":
		return "at " + m.NetworkInterface + " " + m.Direction
	}
	return "in all"
}

func (m *Mirrored) judge(j *judging) {
	if m.NetworkInterface != "" {
		c := j.o.Model.ENIs[m.NetworkInterface]
		n := c.NetworkPacketsMirrorIn + c.NetworkPacketsMirrorOut
		switch m.Direction {
		case "ingress":
			n = c.NetworkPacketsMirrorIn
		case "egress":
			n = c.NetworkPacketsMirrorOut
		}
		j.count(m.Count, int64(n))
		return
	}
	j.count(m.Count, m.sessionSum(j, false))
}

// sessionSum adds up the sessions' mirrored (or truncated) packets.
func (m *Mirrored) sessionSum(j *judging, truncated bool) int64 {
	var n int64
	for _, ss := range j.sessionsOf(m.Target) {
		if m.Session != "" && ss.TrafficMirrorSessionId != m.Session {
			continue
		}
		if m.NetworkInterface != "" && ss.NetworkInterfaceId != m.NetworkInterface && !slices.Contains(ss.TrafficMirrorSourceIds, m.NetworkInterface) {
			continue
		}
		c := j.o.Model.Sessions[ss.TrafficMirrorSessionId]
		if truncated {
			n += int64(c.Truncated)
		} else {
			n += int64(c.Packets)
		}
	}
	return n
}
