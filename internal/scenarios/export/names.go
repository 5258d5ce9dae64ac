package export

import (
	"cmp"
	"regexp"
	"strconv"
	"strings"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// nameRE is what a scenario resource name may look like (scenarios/spec's
// rule: letters, digits and _ . : / -, at most 63).
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,62}$`)

// Name groups: a scenario name is unique within its group. Instances,
// network interfaces and load balancers share one (a traffic step names any
// of them as a destination).
const (
	gVPC      = "vpc"
	gPeering  = "pcx"
	gTGW      = "tgw"
	gTGWAtt   = "tgwattach"
	gSubnet   = "subnet"
	gACL      = "acl"
	gSG       = "sg"
	gHost     = "host"
	gFilter   = "filter"
	gTarget   = "target"
	gSession  = "session"
	nameTagID = "Name"
)

// idGroups is the group of the names of each kind of the model's ids.
var idGroups = map[cloudmock.IDKind]string{
	cloudmock.KindVpc: gVPC, cloudmock.KindPeering: gPeering, cloudmock.KindTransitGateway: gTGW,
	cloudmock.KindTransitGatewayAttachment: gTGWAtt, cloudmock.KindSubnet: gSubnet, cloudmock.KindNetworkAcl: gACL,
	cloudmock.KindSecurityGroup: gSG, cloudmock.KindInstance: gHost, cloudmock.KindNetworkInterface: gHost,
	cloudmock.KindLoadBalancer: gHost, cloudmock.KindFilter: gFilter, cloudmock.KindTarget: gTarget, cloudmock.KindSession: gSession,
}

// wanted is one resource to be named: its group, its id in the state and
// the name to fall back on (usually the id).
type wanted struct {
	group, id, fallback string
}

// assignNames names every resource: its Name tag when that is a valid
// scenario name used by no other resource of its group, else the fallback,
// made unique with a numeric suffix when needed. Deterministic for a given
// input order.
func assignNames(items []wanted, tags map[string]map[string]string) map[string]string {
	count := map[string]int{}
	for _, it := range items {
		if t := tags[it.id][nameTagID]; nameRE.MatchString(t) {
			count[it.group+"/"+t]++
		}
	}
	out := map[string]string{}
	taken := map[string]bool{}
	var rest []wanted
	for _, it := range items {
		t := tags[it.id][nameTagID]
		if nameRE.MatchString(t) && count[it.group+"/"+t] == 1 {
			out[it.id] = t
			taken[it.group+"/"+t] = true
			continue
		}
		rest = append(rest, it)
	}
	for _, it := range rest {
		base := it.fallback
		if !nameRE.MatchString(base) {
			base = sanitize(base)
		}
		n := base
		for i := 2; taken[it.group+"/"+n]; i++ {
			n = base + "-" + strconv.Itoa(i)
		}
		out[it.id] = n
		taken[it.group+"/"+n] = true
	}
	return out
}

// sanitize makes a scenario name out of anything: invalid characters become
// '-', and the result is cut to 56 bytes (room for a suffix).
func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_.:/-", c) >= 0
		if !ok {
			b[i] = '-'
		}
	}
	s = strings.TrimLeft(string(b), "_.:/-")
	if len(s) > 56 {
		s = s[:56]
	}
	s = cmp.Or(s, "r")
	return s
}

// lbFallback is a load balancer's name when it has no Name tag: the name
// inside its ARN (arn:…:loadbalancer/net/NAME/ID), or the ARN itself.
func lbFallback(arn string) string {
	parts := strings.Split(arn, "/")
	if len(parts) >= 3 && strings.HasSuffix(parts[0], ":loadbalancer") {
		return parts[2]
	}
	return arn
}
