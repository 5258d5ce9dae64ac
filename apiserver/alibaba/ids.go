package alibaba

import (
	"crypto/sha256"
	"encoding/json"
	"math/big"
	"strings"

	"github.com/mirrorlab/mirrorlab/apiserver/ec2api"
	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// idLen is the length of an id's part after its prefix, as Alibaba's
// (tmf-j6cmls82xnc86vtpe****: 21 characters of [0-9a-z]).
const idLen = 21

const idAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz"

// newID returns a new Alibaba-shaped id "<prefix>-" + 21 characters of
// [0-9a-z] that no resource of the account uses.
func (s *Server) newID(a *account, prefix string) string {
	used := usedIDs(a)
	for {
		var b strings.Builder
		b.WriteString(prefix + "-")
		for range idLen {
			b.WriteByte(idAlphabet[s.rng.IntN(len(idAlphabet))])
		}
		if id := b.String(); !used[id] {
			return id
		}
	}
}

// usedIDs returns every id of the account, deleted ones still listed
// included.
func usedIDs(a *account) map[string]bool {
	used := map[string]bool{}
	for id := range a.meta {
		used[id] = true
	}
	for _, g := range a.ghosts {
		used[g.ID] = true
	}
	for _, t := range a.spec.TrafficMirrorTargets {
		used[t.TrafficMirrorTargetId] = true
	}
	return used
}

// newVNI returns a VNI (1..2^24-1) that no session of the account uses.
func (s *Server) newVNI(a *account) int {
	used := map[int]bool{}
	for _, x := range a.spec.TrafficMirrorSessions {
		if x.VirtualNetworkId != nil {
			used[*x.VirtualNetworkId] = true
		}
	}
	for {
		if v := s.rng.IntN(1<<24-1) + 1; !used[v] {
			return v
		}
	}
}

// alibabaPrefix maps the EC2-shaped id prefixes that ec2api.AssignIDs
// gives to Alibaba's.
var alibabaPrefix = map[string]string{
	"vpc": "vpc", "subnet": "vsw", "eni": "eni", "i": "i", "sg": "sg", "acl": "nacl",
	"tmf": "tmf", "tmfr": "tmr", "tmt": "tmt", "tms": "tms", "pcx": "pcc",
	"tgw": "tr", "tgw-attach": "tr-attach", "vpce": "ep",
}

// AssignIDs renames every resource id of a scenario's spec (which uses the
// scenario's names as ids) to an Alibaba-shaped id: vpc-, vsw- (subnets),
// eni-, i-, sg-, nacl-, lb- (load balancers), tmf-, tmr- (filter rules),
// tms-, tmt- (the model's targets, which Alibaba's API does not show),
// pcc- (peerings), tr- (transit routers). Ids derive from the seed and the
// names (through ec2api.AssignIDs), so a file keeps its ids from run to
// run. It returns the spec and, per new id, the original name.
func AssignIDs(spec cloudmock.Spec, seed string) (cloudmock.Spec, map[string]string) {
	aws, names := ec2api.AssignIDs(spec, seed)
	rename := map[string]string{}
	for id := range names {
		rename[id] = alibabaID(id)
	}
	// Rules without a name got an id but no name: rename them too.
	for _, f := range aws.TrafficMirrorFilters {
		for _, r := range append(append([]cloudmock.TrafficMirrorFilterRule(nil), f.IngressFilterRules...), f.EgressFilterRules...) {
			rename[r.TrafficMirrorFilterRuleId] = alibabaID(r.TrafficMirrorFilterRuleId)
		}
	}
	out, err := renameIDs(aws, rename)
	if err != nil { // the model's types always marshal
		return aws, names
	}
	newNames := make(map[string]string, len(names))
	for id, n := range names {
		newNames[rename[id]] = n
	}
	return out, newNames
}

// alibabaID turns one EC2-shaped id (or a load balancer ARN) into the
// Alibaba-shaped id of the same resource.
func alibabaID(id string) string {
	prefix := "lb"
	if !strings.HasPrefix(id, "arn:") {
		i := strings.LastIndex(id, "-")
		prefix = alibabaPrefix[id[:max(i, 0)]]
		if prefix == "" {
			prefix = "res"
		}
	}
	sum := sha256.Sum256([]byte(id))
	s := new(big.Int).SetBytes(sum[:]).Text(36)
	for len(s) < idLen {
		s = "0" + s
	}
	return prefix + "-" + s[:idLen]
}

// renameIDs replaces every string of the spec that is an old id by its new
// id (ids are whole JSON strings; no other field equals one).
func renameIDs(spec cloudmock.Spec, rename map[string]string) (cloudmock.Spec, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return spec, err
	}
	var tree any
	if err := json.Unmarshal(b, &tree); err != nil {
		return spec, err
	}
	tree = renameTree(tree, rename)
	if b, err = json.Marshal(tree); err != nil {
		return spec, err
	}
	var out cloudmock.Spec
	err = json.Unmarshal(b, &out)
	return out, err
}

func renameTree(v any, rename map[string]string) any {
	switch x := v.(type) {
	case string:
		if n, ok := rename[x]; ok {
			return n
		}
	case []any:
		for i := range x {
			x[i] = renameTree(x[i], rename)
		}
	case map[string]any:
		for k := range x {
			x[k] = renameTree(x[k], rename)
		}
	}
	return v
}
