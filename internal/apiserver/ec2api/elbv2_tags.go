package ec2api

import (
	"fmt"
	"maps"
	"strings"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// ELBv2's tags (AddTags, RemoveTags, DescribeTags) of load balancers,
// target groups and listeners, in the same tag store as EC2's, and
// DescribeCapacityReservation (no load balancer here has reserved
// capacity).

// maxELBTagArns is how many ARNs one tag request names at most.
const maxELBTagArns = 20

type xmlELBTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type xmlELBTagDescription struct {
	ResourceArn string      `xml:"ResourceArn"`
	Tags        []xmlELBTag `xml:"Tags>member"`
}

type describeELBTagsResult struct {
	TagDescriptions []xmlELBTagDescription `xml:"TagDescriptions>member"`
}

// elbResourceExists answers the NotFound error of an ARN naming no load
// balancer, target group or listener (by the kind its ARN says).
func (s *Server) elbResourceExists(spec *cloudmock.Spec, arn string) error {
	switch {
	case strings.Contains(arn, ":targetgroup/"):
		if _, ok := s.findTG(spec, arn); !ok {
			return s.tgNotFound(arn)
		}
	case strings.Contains(arn, ":listener/"):
		if i, _ := s.findListener(spec, arn); i < 0 {
			return elbError(codeListenerNotFound, "Listener '%s' not found", arn)
		}
	default:
		if s.findLB(spec, arn, false) < 0 {
			return s.lbNotFound(arn)
		}
	}
	return nil
}

func (c *call) elbTagArns() ([]string, error) {
	arns := c.elbList("ResourceArns")
	switch {
	case !c.p.ok():
		return nil, c.p.Err()
	case len(arns) == 0:
		return nil, elbError(codeELBValidation, "1 validation error detected: Value null at 'resourceArns' failed to satisfy constraint: Member must not be null")
	case len(arns) > maxELBTagArns:
		return nil, elbError(codeELBValidation, "ResourceArns: at most %d resources per request, not %d", maxELBTagArns, len(arns))
	}
	return arns, nil
}

// elbTagAction serves AddTags (add) and RemoveTags.
func (s *Server) elbTagAction(add bool) actionFunc {
	return func(c *call) (any, error) {
		arns, err := c.elbTagArns()
		if err != nil {
			return nil, err
		}
		var tags []tag
		var keys []string
		if add {
			tags = c.p.tagList("Tags.member")
		} else {
			keys = c.elbList("TagKeys")
		}
		if c.p.ok() && len(tags)+len(keys) == 0 {
			return nil, elbError(codeELBValidation, "Give at least one tag (%s)", map[bool]string{true: "Tags.member.N", false: "TagKeys.member.N"}[add])
		}
		if err := c.begin(); err != nil {
			return nil, err
		}
		return c.mutate("", func(st *state) (any, error) {
			for i, arn := range arns {
				if err := s.elbResourceExists(&st.spec, arn); err != nil {
					return nil, err
				}
				if add {
					if err := st.tags.set(arn, tags, fmt.Sprintf("ResourceArns.member.%d", i+1)); err != nil {
						return nil, elbError("TooManyTags", "%s", asAPIError(err).Message)
					}
					continue
				}
				st.tags.unset(arn, keys)
			}
			return struct{}{}, nil
		})
	}
}

func (s *Server) describeELBTags(c *call) (any, error) {
	arns, err := c.elbTagArns()
	if err != nil {
		return nil, err
	}
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.read(func(spec *cloudmock.Spec, tags tagStore) (any, error) {
		var out describeELBTagsResult
		for _, arn := range arns {
			if err := s.elbResourceExists(spec, arn); err != nil {
				return nil, err
			}
			d := xmlELBTagDescription{ResourceArn: arn}
			for _, t := range tags.xml(arn) {
				d.Tags = append(d.Tags, xmlELBTag(t))
			}
			out.TagDescriptions = append(out.TagDescriptions, d)
		}
		return out, nil
	})
}

// capacityResult is DescribeCapacityReservation's answer: no reservation.
type capacityResult struct{}

func (s *Server) describeCapacityReservation(c *call) (any, error) {
	arn := c.elbRequired("LoadBalancerArn")
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.read(func(spec *cloudmock.Spec, _ tagStore) (any, error) {
		if s.findLB(spec, arn, false) < 0 {
			return nil, s.lbNotFound(arn)
		}
		return capacityResult{}, nil
	})
}

// unset removes keys from a resource's tags (the stored map is shared
// with the published state: a new one replaces it).
func (t *tagStore) unset(id string, keys []string) {
	m := maps.Clone(t.get(id))
	for _, k := range keys {
		delete(m, k)
	}
	t.put(id, m)
}
