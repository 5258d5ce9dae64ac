package spec

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// dropped counts mirrored datagrams dropped on the way to a target.
type dropped struct {
	Target string `yaml:"target"`
	// By is nacl, security-group, no-listener, no-healthy-target,
	// no-route, queue or any (default).
	By    string `yaml:"by"`
	Count `yaml:",inline"`
}

// dropCauses are the values of Dropped.By.
var dropCauses = []string{"any", "nacl", "security-group", "no-listener", "no-healthy-target", "no-route", "queue"}

// dropCodes maps Dropped.By to the model's delivery reason codes.
var dropCodes = map[string][]string{
	"nacl":              {cloudmock.DroppedByTargetNACL.String()},
	"security-group":    {cloudmock.DroppedByTargetSG.String()},
	"no-listener":       {cloudmock.NoListener.String()},
	"no-healthy-target": {cloudmock.NoHealthyTarget.String()},
	"no-route":          {cloudmock.NoRouteToTarget.String()},
}

func (d *dropped) check(k *kindCheck) {
	_, ok := k.s.refs.targets[d.Target]
	k.opt("target", d.Target, ok, "mirror target")
	if !oneOf(d.By, append([]string{""}, dropCauses...)...) {
		k.at("by", "by %q: want one of %s", d.By, strings.Join(dropCauses, ", "))
	}
	k.count("", &d.Count)
}

func (d *dropped) describe() string {
	return fmt.Sprintf("dropped before %s (%s)", cmp.Or(d.Target, "any target"), cmp.Or(d.By, "any cause"))
}

func (d *dropped) judge(j *judging) {
	var n int64
	for _, ss := range j.sessionsOf(d.Target) {
		c := j.o.Model.Sessions[ss.TrafficMirrorSessionId]
		if d.By == "queue" || d.By == "" || d.By == "any" {
			n += int64(c.SkipPackets)
		}
		for cause, codes := range dropCodes {
			if d.By != "" && d.By != "any" && d.By != cause {
				continue
			}
			for _, code := range codes {
				n += int64(c.Delivery[code])
			}
		}
	}
	j.count(d.Count, n)
}
