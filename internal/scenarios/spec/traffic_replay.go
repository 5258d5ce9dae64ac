package spec

import (
	"cmp"
	"fmt"
	"path/filepath"
)

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

func (rp *Replay) check(k *kindCheck) {
	if rp.File == "" {
		k.at("", "missing file")
	}
	if _, ok := k.s.refs.enis[rp.NetworkInterface]; !ok {
		k.at("networkInterface", "no network interface named %q", rp.NetworkInterface)
	}
	if !oneOf(rp.Direction, "", "egress", "ingress") {
		k.at("direction", "direction %q: want egress or ingress", rp.Direction)
	}
}

func (rp *Replay) describe(string) string {
	dir := cmp.Or(rp.Direction, "egress")
	return fmt.Sprintf("%s into %s (%s)", filepath.Base(rp.File), rp.NetworkInterface, dir)
}
