package spec

import (
	"cmp"
	"fmt"
)

// arrived counts the VXLAN datagrams (UDP 4789) that really arrived at a
// receiving interface (a target's ENI, or an NLB's registered target), as
// captured there, optionally only those with a VNI; InnerBytes bounds the
// largest inner frame seen (truncation made visible on the wire).
//
// OuterFamily ("ipv4" or "ipv6") counts only the datagrams whose outer
// header is of that family (behind a Gateway Load Balancer: the VXLAN
// datagram's inside GENEVE, the copy as the endpoint received it).
type arrived struct {
	NetworkInterface string `yaml:"networkInterface"`
	VNI              *int   `yaml:"vni"`
	OuterFamily      string `yaml:"outerFamily"`
	InnerBytes       *Count `yaml:"innerBytes"`
	Count            `yaml:",inline"`
}

func (a *arrived) check(k *kindCheck) {
	_, ok := k.s.refs.enis[a.NetworkInterface]
	k.need("networkInterface", a.NetworkInterface, ok, "network interface")
	k.count("innerBytes", a.InnerBytes)
	if f := a.OuterFamily; f != "" && f != "ipv4" && f != "ipv6" {
		k.at("outerFamily", "outerFamily %q: want ipv4 or ipv6", f)
	}
	k.count("", &a.Count)
}

func (a *arrived) describe() string {
	s := "arrived at " + a.NetworkInterface
	if a.VNI != nil {
		s += fmt.Sprintf(" with VNI %d", *a.VNI)
	}
	if a.OuterFamily != "" {
		s += " over " + map[string]string{"ipv4": "IPv4", "ipv6": "IPv6"}[a.OuterFamily]
	}
	return s
}

func (a *arrived) judge(j *judging) {
	got := cmp.Or(j.o.Arrivals[a.NetworkInterface], &ArrivalCounts{})
	n, maxInner, minInner, v6 := got.Total, got.MaxInner, got.MinInner, got.IPv6
	if a.VNI != nil {
		vni := uint32(*a.VNI)
		n, maxInner, minInner = got.ByVNI[vni], got.MaxInnerByVNI[vni], got.MinInnerByVNI[vni]
		v6 = got.IPv6ByVNI[vni]
	}
	switch a.OuterFamily {
	case "ipv6":
		n = v6
	case "ipv4":
		n -= v6
	}
	j.count(a.Count, n)
	if got.Error != "" {
		j.v.Passed = false
		j.v.Detail = "capture failed: " + got.Error
		return
	}
	if got.CaptureDrops > 0 {
		j.v.Passed = false
		j.v.Detail = fmt.Sprintf("the capture at %s dropped %d frames: the count is not reliable", a.NetworkInterface, got.CaptureDrops)
		return
	}
	if a.InnerBytes != nil {
		w, ok := a.InnerBytes.bounds(int64(maxInner))
		j.v.Want += "; largest inner frame " + w
		j.v.Observed += fmt.Sprintf("; inner frames %d..%d bytes", minInner, maxInner)
		j.v.Passed = j.v.Passed && ok && n > 0
	}
}
