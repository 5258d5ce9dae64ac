package alibaba

import (
	"crypto/sha256"
	"math/big"
	"strings"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/apiserver/ec2api"
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
	a.spec.EachID(func(r cloudmock.IDRef) {
		if r.Own {
			used[*r.ID] = true
		}
	})
	return used
}

// alibabaPrefix maps the kinds of the model's ids to Alibaba's id
// prefixes.
var alibabaPrefix = map[cloudmock.IDKind]string{
	cloudmock.KindVpc: "vpc", cloudmock.KindSubnet: "vsw", cloudmock.KindNetworkInterface: "eni",
	cloudmock.KindInstance: "i", cloudmock.KindSecurityGroup: "sg", cloudmock.KindNetworkAcl: "nacl",
	cloudmock.KindFilter: "tmf", cloudmock.KindFilterRule: "tmr", cloudmock.KindTarget: "tmt",
	cloudmock.KindSession: "tms", cloudmock.KindPeering: "pcc", cloudmock.KindTransitGateway: "tr",
	cloudmock.KindTransitGatewayAttachment: "tr-attach", cloudmock.KindVpcEndpoint: "ep",
	cloudmock.KindLoadBalancer: "lb",
}

// AssignIDs renames every resource id of a scenario's spec (which uses the
// scenario's names as ids) to an Alibaba-shaped id: vpc-, vsw- (subnets),
// eni-, i-, sg-, nacl-, lb- (load balancers), tmf-, tmr- (filter rules),
// tms-, tmt- (the model's targets, which Alibaba's API does not show),
// pcc- (peerings), tr- (transit routers). Ids derive from the seed and the
// names (through ec2api.AssignIDs), so a file keeps its ids from run to
// run. It returns the spec and, per new id, the original name.
func AssignIDs(spec cloudmock.Spec, seed string) (cloudmock.Spec, map[string]string) {
	out, names := ec2api.AssignIDs(spec, seed) // a copy of its own
	newNames := make(map[string]string, len(names))
	out.EachID(func(r cloudmock.IDRef) {
		if *r.ID == "" {
			return
		}
		id := alibabaID(r.Kind, *r.ID)
		if n, ok := names[*r.ID]; ok {
			newNames[id] = n
		}
		*r.ID = id
	})
	return out, newNames
}

// alibabaID turns the EC2-shaped id (or load balancer ARN) of a resource
// of a kind into its Alibaba-shaped id.
func alibabaID(kind cloudmock.IDKind, id string) string {
	prefix := alibabaPrefix[kind]
	if prefix == "" {
		prefix = "res"
	}
	sum := sha256.Sum256([]byte(id))
	s := new(big.Int).SetBytes(sum[:]).Text(36)
	for len(s) < idLen {
		s = "0" + s
	}
	return prefix + "-" + s[:idLen]
}
