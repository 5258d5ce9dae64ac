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
// new one), and the index is cut into tagShards parts by a hash of the
// id: a change's copy (clone) shares every part with the published store
// and copies a part at its first write there, so a change costs the part
// it writes rather than every tagged resource of the account.
type tagStore struct {
	parts *[tagShards]map[string]map[string]string
	own   uint64 // the parts that are this store's (it may write them)
}

// tagShards is how many parts a tagStore is cut into (at most 64: own's
// bits).
const tagShards = 64

// newTagStore is an empty store, all its own.
func newTagStore() tagStore {
	return tagStore{parts: new([tagShards]map[string]map[string]string), own: ^uint64(0)}
}

// tagPart is the part that holds an id (FNV-1a of the id).
func tagPart(id string) int {
	h := uint32(2166136261)
	for i := range len(id) {
		h = (h ^ uint32(id[i])) * 16777619
	}
	return int(h % tagShards)
}

// get is a resource's tags (nil without); the map must not be changed.
func (t tagStore) get(id string) map[string]string {
	if t.parts == nil {
		return nil
	}
	return t.parts[tagPart(id)][id]
}

// each calls fn for every resource with tags, in no order.
func (t tagStore) each(fn func(id string, m map[string]string)) {
	if t.parts == nil {
		return
	}
	for _, part := range t.parts {
		for id, m := range part {
			fn(id, m)
		}
	}
}

// clone is a copy sharing every part with t: its writes copy the part
// they change first, and t stays as it is.
func (t tagStore) clone() tagStore {
	parts := *t.parts
	return tagStore{parts: &parts}
}

// deepClone copies the index and every resource's map, for a caller that
// may change them.
func (t tagStore) deepClone() tagStore {
	out := newTagStore()
	t.each(func(id string, m map[string]string) { out.put(id, maps.Clone(m)) })
	return out
}

// plain is a copy of every resource's tags, by id.
func (t tagStore) plain() map[string]map[string]string {
	out := map[string]map[string]string{}
	t.each(func(id string, m map[string]string) { out[id] = maps.Clone(m) })
	return out
}

// cloneTags is a copy of a resource's tags (nil for none).
func cloneTags(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

// put stores a resource's tags (m, never changed after; empty removes
// them).
func (t *tagStore) put(id string, m map[string]string) {
	k := tagPart(id)
	if len(m) == 0 {
		if _, ok := t.parts[k][id]; !ok {
			return
		}
	}
	if t.own&(1<<k) == 0 {
		t.parts[k], t.own = maps.Clone(t.parts[k]), t.own|1<<k
	}
	if len(m) == 0 {
		delete(t.parts[k], id)
		return
	}
	if t.parts[k] == nil {
		t.parts[k] = map[string]map[string]string{}
	}
	t.parts[k][id] = m
}

// set merges tags into a resource's, checking the EC2 limits; param names
// the request parameter for the error message.
func (t *tagStore) set(id string, tags []tag, param string) error {
	m := maps.Clone(t.get(id))
	if m == nil {
		m = map[string]string{}
	}
	for _, tg := range tags {
		m[tg.Key] = tg.Value
	}
	if len(m) > maxTagsPerResource {
		return errorf(codeTagLimitExceeded, "The maximum number of tags per resource (%d) would be exceeded on %s (%s).", maxTagsPerResource, id, param)
	}
	if len(m) > 0 {
		t.put(id, m)
	}
	return nil
}

// remove drops a resource's tags (on deletion).
func (t *tagStore) remove(id string) { t.put(id, nil) }

// value returns a resource's tag value and whether it has the key.
func (t tagStore) value(id, key string) (string, bool) {
	v, ok := t.get(id)[key]
	return v, ok
}

// tag is one Key/Value pair.
type tag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

// xmlTags is a resource's tags as EC2's tagSet (sorted by key); nil for
// none, so that the element is left out.
func (t tagStore) xml(id string) []tag { return tagsXML(t.get(id)) }

// tagsXML is tags as EC2's tagSet (sorted by key); nil for none.
func tagsXML(m map[string]string) []tag {
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
func (p *params) tagList(prefix string) []tag {
	var out []tag
	for _, n := range p.indexes(prefix) {
		pre := fmt.Sprintf("%s.%d", prefix, n)
		k, _ := p.str(pre + ".Key")
		v, _ := p.str(pre + ".Value")
		tg := tag{Key: k, Value: v}
		if !p.check(checkTag(pre, tg)) {
			return nil
		}
		out = append(out, tg)
	}
	return out
}

// tagSpecs decodes TagSpecification.N.ResourceType / .Tag.M.Key / .Value
// for an action that creates one resource of resourceType (e.g.
// "traffic-mirror-filter"); another resource type is InvalidParameterValue,
// as EC2 answers.
func (p *params) tagSpecs(resourceType string) []tag {
	return p.tagSpecsNamed("TagSpecification", resourceType)
}

// tagSpecsNamed is tagSpecs for an action whose parameter has another
// name (CreateTransitGatewayVpcAttachment's TagSpecifications.N).
func (p *params) tagSpecsNamed(param, resourceType string) []tag {
	return p.tagSpecsIn(param, resourceType)[resourceType]
}

// tagSpecsOf decodes TagSpecification.N for an action that creates
// resources of the given types: the tags by resource type.
func (p *params) tagSpecsOf(types ...string) map[string][]tag {
	return p.tagSpecsIn("TagSpecification", types...)
}

// tagSpecsIn decodes param.N.ResourceType / .Tag.M.Key / .Value, each
// ResourceType one of types: the tags by resource type.
func (p *params) tagSpecsIn(param string, types ...string) map[string][]tag {
	out := map[string][]tag{}
	for _, n := range p.indexes(param) {
		pre := fmt.Sprintf("%s.%d", param, n)
		rt := p.required(pre + ".ResourceType")
		if p.err != nil {
			return nil
		}
		if !slices.Contains(types, rt) {
			why := "This action tags resources of types " + strings.Join(types, ", ") + "."
			if len(types) == 1 {
				why = fmt.Sprintf("This action creates a %s.", types[0])
			}
			p.fail(errInvalid(pre+".ResourceType", rt, why))
			return nil
		}
		out[rt] = append(out[rt], p.tagList(pre+".Tag")...)
	}
	if p.err != nil {
		return nil
	}
	return out
}

// created answers an action that created resource id: its
// TagSpecification.N tags set, then the new item (item shows them) as
// the answer's name element, remembered under the request's token.
func (st *state) created(id string, tags []tag, name, token string, item func() xres) (any, error) {
	if err := st.tags.set(id, tags, "TagSpecification"); err != nil {
		return nil, err
	}
	return itemResult{name: name, item: item(), token: token}, nil
}
