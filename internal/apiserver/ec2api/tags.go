package ec2api

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// Tag limits of EC2 (user tags).
const (
	maxTagsPerResource = 50
	maxTagKeyLen       = 128
	maxTagValueLen     = 256
)

// tagStore holds the tags of every resource, by resource id. The model has
// no tags: they are the API's alone (Name tags from Config.Names, tags from
// TagSpecification.N and, in api2's files, CreateTags/DeleteTags). A
// resource's map is never changed once stored (set and DeleteTags store a
// new one), so that a mutation's copy shares them with the published
// state.
type tagStore map[string]map[string]string

// clone copies the index; the resources' maps are shared (never changed
// in place).
func (t tagStore) clone() tagStore { return maps.Clone(t) }

// deepClone copies the index and every resource's map, for a caller that
// may change them.
func (t tagStore) deepClone() tagStore {
	out := make(tagStore, len(t))
	for id, m := range t {
		out[id] = maps.Clone(m)
	}
	return out
}

// set merges tags into a resource's, checking the EC2 limits; param names
// the request parameter for the error message.
func (t tagStore) set(id string, tags []tag, param string) error {
	m := maps.Clone(t[id])
	if m == nil {
		m = map[string]string{}
	}
	for _, tg := range tags {
		m[tg.Key] = tg.Value
	}
	if len(m) > maxTagsPerResource {
		return errorf(codeTagLimitExceeded, "The maximum number of tags per resource (%d) would be exceeded on %s (%s).", maxTagsPerResource, id, param)
	}
	t[id] = m
	return nil
}

// remove drops a resource's tags (on deletion).
func (t tagStore) remove(id string) { delete(t, id) }

// value returns a resource's tag value and whether it has the key.
func (t tagStore) value(id, key string) (string, bool) {
	v, ok := t[id][key]
	return v, ok
}

// tag is one Key/Value pair.
type tag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

// xmlTags is a resource's tags as EC2's tagSet (sorted by key); nil for
// none, so that the element is left out.
func (t tagStore) xml(id string) []tag {
	m := t[id]
	if len(m) == 0 {
		return nil
	}
	out := make([]tag, 0, len(m))
	for k, v := range m {
		out = append(out, tag{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// checkTag validates a user tag: a key of 1-128 characters not starting
// with "aws:", a value of at most 256 (EC2's limits).
func checkTag(param string, tg tag) error {
	switch {
	case tg.Key == "":
		return errMissing(param + ".Key")
	case utf8.RuneCountInString(tg.Key) > maxTagKeyLen:
		return errTooLong(param+".Key", utf8.RuneCountInString(tg.Key), maxTagKeyLen)
	case strings.HasPrefix(strings.ToLower(tg.Key), "aws:"):
		return errInvalid(param+".Key", tg.Key, "Tag keys starting with 'aws:' are reserved for internal use.")
	case utf8.RuneCountInString(tg.Value) > maxTagValueLen:
		return errTooLong(param+".Value", utf8.RuneCountInString(tg.Value), maxTagValueLen)
	}
	return nil
}

// tagList decodes "<prefix>.N.Key"/"<prefix>.N.Value" (e.g. "Tag" of
// CreateTags, "TagSpecification.1.Tag").
func (p *params) tagList(prefix string) ([]tag, error) {
	idx, err := p.indexes(prefix)
	if err != nil {
		return nil, err
	}
	var out []tag
	for _, n := range idx {
		pre := fmt.Sprintf("%s.%d", prefix, n)
		k, _ := p.str(pre + ".Key")
		v, _ := p.str(pre + ".Value")
		tg := tag{Key: k, Value: v}
		if err := checkTag(pre, tg); err != nil {
			return nil, err
		}
		out = append(out, tg)
	}
	return out, nil
}

// tagSpecs decodes TagSpecification.N.ResourceType / .Tag.M.Key / .Value
// for an action that creates one resource of resourceType (e.g.
// "traffic-mirror-filter"); another resource type is InvalidParameterValue,
// as EC2 answers.
func (p *params) tagSpecs(resourceType string) ([]tag, error) {
	return p.tagSpecsNamed("TagSpecification", resourceType)
}

// tagSpecsNamed is tagSpecs for an action whose parameter has another
// name (CreateTransitGatewayVpcAttachment's TagSpecifications.N).
func (p *params) tagSpecsNamed(param, resourceType string) ([]tag, error) {
	byType, err := p.tagSpecsIn(param, resourceType)
	return byType[resourceType], err
}

// tagSpecsOf decodes TagSpecification.N for an action that creates
// resources of the given types: the tags by resource type.
func (p *params) tagSpecsOf(types ...string) (map[string][]tag, error) {
	return p.tagSpecsIn("TagSpecification", types...)
}

// tagSpecsIn decodes param.N.ResourceType / .Tag.M.Key / .Value, each
// ResourceType one of types: the tags by resource type.
func (p *params) tagSpecsIn(param string, types ...string) (map[string][]tag, error) {
	idx, err := p.indexes(param)
	if err != nil {
		return nil, err
	}
	out := map[string][]tag{}
	for _, n := range idx {
		pre := fmt.Sprintf("%s.%d", param, n)
		rt, err := p.required(pre + ".ResourceType")
		if err != nil {
			return nil, err
		}
		if !slices.Contains(types, rt) {
			why := "This action tags resources of types " + strings.Join(types, ", ") + "."
			if len(types) == 1 {
				why = fmt.Sprintf("This action creates a %s.", types[0])
			}
			return nil, errInvalid(pre+".ResourceType", rt, why)
		}
		tags, err := p.tagList(pre + ".Tag")
		if err != nil {
			return nil, err
		}
		out[rt] = append(out[rt], tags...)
	}
	return out, nil
}
