package ec2api

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// AssignIDs renames every resource id of a scenario's spec (which uses the
// scenario's names as ids) to an AWS-shaped id, in region us-east-1 and
// account 123456789012 (see AssignIDsIn), and rewrites every reference.
// It returns the spec and, per new id, the original name (for the Name
// tags of Config.Names).
func AssignIDs(spec cloudmock.Spec, seed string) (cloudmock.Spec, map[string]string) {
	return AssignIDsIn(spec, seed, "us-east-1", "123456789012")
}

// AssignIDsIn is AssignIDs for a region and an account (they appear in
// load balancer ARNs). Ids are "<prefix>-" + 17 lowercase hex digits of
// SHA-256(seed, kind, name): vpc-, pcx-, tgw-, tgw-attach-, subnet-, acl-, sg-, eni-, i- (instance
// ids), vpce-, tmf-, tmfr-, tmt-, tms-; a load balancer becomes
// arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/net|gwy/NAME/16hex.
// The same seed, kind and name always give the same id, so a scenario file
// keeps its ids from run to run. Filter rules without an id are named
// after their filter, direction and rule number. The input is not changed.
func AssignIDsIn(spec cloudmock.Spec, seed, region, account string) (cloudmock.Spec, map[string]string) {
	out := spec.Clone()
	a := &assigner{seed: seed, region: region, account: account, names: map[string]string{}, ids: map[string]string{}, used: map[string]bool{}}
	out.EachID(a.assign)
	return out, a.names
}

// assign renames one id field. A load balancer becomes an ARN (of its
// Type; a target names a network load balancer). A filter rule without an
// id is named after its filter, direction, rule number and position.
func (a *assigner) assign(r cloudmock.IDRef) {
	switch {
	case r.Kind == cloudmock.KindImage:
		// the catalogue's image ids are already AWS-shaped and stable
	case r.Kind == cloudmock.KindLoadBalancer:
		typ := "network"
		if lb, ok := r.Resource.(*cloudmock.LoadBalancer); ok {
			typ = lb.Type
		}
		*r.ID = a.arn(*r.ID, typ)
	case r.Kind == cloudmock.KindFilterRule && *r.ID == "":
		f := r.Resource.(*cloudmock.TrafficMirrorFilter)
		dir, rules := dirIngress, f.IngressFilterRules
		if strings.HasPrefix(r.Field, "Egress") {
			dir, rules = dirEgress, f.EgressFilterRules
		}
		// the filter was renamed first: names has its name
		name := fmt.Sprintf("%s/%s/%d/%d", a.names[f.TrafficMirrorFilterId], dir, rules[r.Index].RuleNumber, r.Index)
		*r.ID = a.hashed("tmfr", name)
	default:
		*r.ID = a.id(string(r.Kind), *r.ID)
	}
}

// assigner maps (kind, name) to one id, the same for every reference.
type assigner struct {
	seed, region, account string
	names                 map[string]string // new id -> name
	ids                   map[string]string // kind \x00 name -> new id
	used                  map[string]bool
}

// id returns the id of a named resource of a kind ("" stays "").
func (a *assigner) id(kind, name string) string {
	if name == "" {
		return ""
	}
	key := kind + "\x00" + name
	if id, ok := a.ids[key]; ok {
		return id
	}
	id := a.hashed(kind, name)
	a.ids[key] = id
	a.names[id] = name
	return id
}

// hashed derives a new unique id (no Name tag).
func (a *assigner) hashed(kind, name string) string {
	for n := 0; ; n++ {
		h := a.hex(kind, name, n)
		id := kind + "-" + h[:17]
		if !a.used[id] {
			a.used[id] = true
			return id
		}
	}
}

func (a *assigner) hex(kind, name string, n int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%s\x00%s\x00%d", a.seed, kind, name, n)))
	return hex.EncodeToString(sum[:])
}

// lbName is what an ELB name may hold: letters, digits, hyphens, at most
// 32 characters, no hyphen at either end.
var lbNameBad = regexp.MustCompile(`[^A-Za-z0-9-]+`)

// arn returns a load balancer's ARN; an empty name stays "".
func (a *assigner) arn(name, typ string) string {
	if name == "" {
		return ""
	}
	key := "lb\x00" + name
	if id, ok := a.ids[key]; ok {
		return id
	}
	short := strings.Trim(lbNameBad.ReplaceAllString(name, "-"), "-")
	if len(short) > 32 {
		short = strings.Trim(short[:32], "-")
	}
	if short == "" {
		short = "lb"
	}
	kind := "net"
	if typ == "gateway" {
		kind = "gwy"
	}
	var id string
	for n := 0; ; n++ {
		id = fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/%s/%s/%s", a.region, a.account, kind, short, a.hex("lb", name, n)[:16])
		if !a.used[id] {
			break
		}
	}
	a.used[id] = true
	a.ids[key] = id
	a.names[id] = name
	return id
}
