package export

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
)

// Exporter converts server states into scenario files, against the original
// scenario the server was started from.
type Exporter struct {
	file string
	orig *spec.Scenario
	root *yaml.Node // the original file's top-level mapping
	// headComment is the original's comment at the top of the file.
	headComment string
	// names maps a state id to the name its resource had in the original
	// scenario (nil: the Name tags are taken for the original names).
	names map[string]string
	// origSet holds the original's names by group (and "program",
	// "traffic").
	origSet map[string]map[string]bool
}

// New prepares an exporter for the scenario file src (file names it in
// messages). names maps the ids the server gave the scenario's resources
// (eni-…, tms-…, i-…) to their names in the file; with nil, a resource's
// Name tag is taken for its original name.
func New(file string, src []byte, names map[string]string) (*Exporter, error) {
	orig, err := spec.Parse(file, src)
	if err != nil {
		return nil, fmt.Errorf("export: original scenario: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil || doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, fmt.Errorf("export: original scenario %s is not a YAML mapping", file)
	}
	e := &Exporter{file: file, orig: orig, root: doc.Content[0], headComment: doc.HeadComment, names: names, origSet: map[string]map[string]bool{}}
	add := func(g, n string) {
		if e.origSet[g] == nil {
			e.origSet[g] = map[string]bool{}
		}
		e.origSet[g][n] = true
	}
	ms := orig.Model()
	ms.EachID(func(r cloudmock.IDRef) {
		if g, ok := idGroups[r.Kind]; ok && r.Own {
			add(g, *r.ID)
		}
	})
	for _, p := range orig.Programs {
		add(gProgram, p.Name)
	}
	for _, t := range orig.Traffic {
		if t.Name != "" {
			add(gTraffic, t.Name)
		}
	}
	return e, nil
}

// Export writes state (with tags: id -> key -> value) as a scenario file.
// The result passes the scenario loader's checks; an error says why not
// when, against expectation, it does not.
func (e *Exporter) Export(state cloudmock.Spec, tags map[string]map[string]string) ([]byte, error) {
	c := newConv(e, state, tags)
	root, err := c.document()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("export: write YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("export: write YAML: %w", err)
	}
	out := buf.Bytes()
	if _, err := spec.Parse(e.file, out); err != nil {
		return out, fmt.Errorf("export: the exported scenario does not load: %w", err)
	}
	return out, nil
}

// conv is one conversion.
type conv struct {
	e    *Exporter
	st   cloudmock.Spec
	tags map[string]map[string]string
	// name: state id -> its name in the exported file.
	name map[string]string
	// ren: group -> original name -> exported name, for the resources of
	// the original that the state still has.
	ren   map[string]map[string]string
	notes []string
}

func newConv(e *Exporter, st cloudmock.Spec, tags map[string]map[string]string) *conv {
	c := &conv{e: e, st: st, tags: tags, ren: map[string]map[string]string{}}
	var items []wanted
	w := func(group, id, fallback string) { items = append(items, wanted{group, id, fallback}) }
	own := map[cloudmock.IDKind][]string{}
	st.EachID(func(r cloudmock.IDRef) {
		if r.Own {
			own[r.Kind] = append(own[r.Kind], *r.ID)
		}
	})
	each := func(groups []idGroup) {
		for _, g := range groups {
			for _, id := range own[g.kind] {
				fallback := id
				if g.kind == cloudmock.KindLoadBalancer {
					fallback = lbFallback(id)
				}
				w(g.group, id, fallback)
			}
		}
	}
	each(networkGroups)
	seen := map[string]bool{}
	for _, n := range st.NetworkInterfaces {
		if iid := c.instanceOf(n); !seen[iid] {
			seen[iid] = true
			w(gHost, iid, iid)
		}
	}
	each(hostAndMirrorGroups)
	c.name = assignNames(items, tags)
	for _, it := range items {
		on := c.origName(it.id, it.group)
		if it.group == gHost && c.isInstance(it.id) {
			on = c.origInstanceName(c.name[it.id])
		}
		if on != "" && e.origSet[it.group][on] {
			if c.ren[it.group] == nil {
				c.ren[it.group] = map[string]string{}
			}
			c.ren[it.group][on] = c.name[it.id]
		}
	}
	return c
}

// idGroup is the group of names of one kind of resource id.
type idGroup struct {
	kind  cloudmock.IDKind
	group string
}

// networkGroups and hostAndMirrorGroups are the kinds whose resources are
// named, in the order they claim names (the instances come between).
var (
	networkGroups = []idGroup{{cloudmock.KindVpc, gVPC}, {cloudmock.KindPeering, gPeering}, {cloudmock.KindTransitGateway, gTGW},
		{cloudmock.KindTransitGatewayAttachment, gTGWAtt}, {cloudmock.KindSubnet, gSubnet}, {cloudmock.KindNetworkAcl, gACL}, {cloudmock.KindSecurityGroup, gSG}}
	hostAndMirrorGroups = []idGroup{{cloudmock.KindNetworkInterface, gHost}, {cloudmock.KindLoadBalancer, gHost},
		{cloudmock.KindFilter, gFilter}, {cloudmock.KindTarget, gTarget}, {cloudmock.KindSession, gSession}}
)

// ref is the exported name of the resource with this id (the id itself
// when the state has no such resource: the loader then reports it).
func (c *conv) ref(id string) string {
	if n, ok := c.name[id]; ok {
		return n
	}
	return id
}

// origName is the name the resource with this id had in the original
// scenario ("" if it was not there).
func (c *conv) origName(id, group string) string {
	n := c.tags[id][nameTagID]
	if c.e.names != nil {
		n = c.e.names[id]
	}
	if !c.e.origSet[group][n] {
		return ""
	}
	return n
}

// instanceOf is the id of a network interface's instance (its own id with
// an "-instance" suffix when it has none).
func (c *conv) instanceOf(n cloudmock.NetworkInterface) string {
	if n.InstanceId != "" {
		return n.InstanceId
	}
	return n.NetworkInterfaceId + "-instance"
}

func (c *conv) isInstance(id string) bool {
	for _, n := range c.st.NetworkInterfaces {
		if c.instanceOf(n) == id {
			return true
		}
	}
	return false
}

// origInstanceName is the original name of the instance exported as name:
// the instance that held the original of its first network interface.
func (c *conv) origInstanceName(name string) string {
	for _, n := range c.st.NetworkInterfaces {
		if c.ref(c.instanceOf(n)) != name {
			continue
		}
		if on := c.origName(c.instanceOf(n), gHost); on != "" && c.e.origInstance(on) != nil {
			return on
		}
		if in := c.e.instanceOfENI(c.origName(n.NetworkInterfaceId, gHost)); in != nil {
			return in.Name
		}
		return ""
	}
	return ""
}

// rename maps a name used by the original scenario to the exported one.
// A name that was not a resource of that group (an IP address) is kept;
// false: the resource is gone.
func (c *conv) rename(group, name string) (string, bool) {
	if !c.e.origSet[group][name] {
		return name, true
	}
	n, ok := c.ren[group][name]
	return n, ok
}

// document assembles the file: the original's name, description and top
// comment; profile, network and mirror from the state; programs, traffic,
// settle and expect from the original with renamed references.
func (c *conv) document() (*yaml.Node, error) {
	root := &yaml.Node{Kind: yaml.MappingNode}
	orig := c.e.root
	keep := func(key string) *yaml.Node {
		for i := 0; i+1 < len(orig.Content); i += 2 {
			if orig.Content[i].Value == key {
				return orig.Content[i+1]
			}
		}
		return nil
	}
	// put adds key: v; a key of the original keeps its comments (the
	// file's top comment sits on the first key).
	put := func(key string, v *yaml.Node, comment string) {
		if v == nil {
			return
		}
		k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, HeadComment: comment}
		for i := 0; i+1 < len(orig.Content) && key != "network" && key != "mirror"; i += 2 {
			if ok := orig.Content[i]; ok.Value == key {
				k.HeadComment = joinLines(ok.HeadComment, comment)
				k.LineComment, k.FootComment = ok.LineComment, ok.FootComment
			}
		}
		if len(root.Content) == 0 {
			k.HeadComment = joinLines(k.HeadComment, firstKeyComment(orig))
		}
		root.Content = append(root.Content, k, v)
	}
	budget := maxCopiedNodes
	copyOf := func(key string) (*yaml.Node, error) {
		n := keep(key)
		if n == nil {
			return nil, nil
		}
		return expand(n, &budget)
	}
	for _, key := range []string{"name", "description"} {
		n, err := copyOf(key)
		if err != nil {
			return nil, err
		}
		put(key, n, "")
	}
	prof := outProfile{Provider: c.st.Profile, RejectBehaviour: c.st.RejectBehavior}
	if prof != (outProfile{}) {
		n, err := encode(prof)
		if err != nil {
			return nil, err
		}
		put("profile", n, "")
	}
	nw, err := encode(c.network())
	if err != nil {
		return nil, err
	}
	mi := c.mirror()
	comment := "network and mirror: the API server's state, exported by mirrorlab export"
	if len(c.notes) > 0 {
		comment = joinComment(comment, "left out, as the scenario format cannot say it:", c.notes)
	}
	put("network", nw, comment)
	put("mirror", mi, "")
	kept, err := c.kept(copyOf)
	if err != nil {
		return nil, err
	}
	for _, k := range kept {
		put(k.key, k.node, k.comment)
	}
	return &yaml.Node{Kind: yaml.DocumentNode, HeadComment: c.e.headComment, Content: []*yaml.Node{root}}, nil
}

type outProfile struct {
	Provider        string `yaml:"provider,omitempty"`
	RejectBehaviour string `yaml:"rejectBehaviour,omitempty"`
}

// firstKeyComment is the comment on the original's first key when that key
// is not one put keeps (the top comment must not get lost).
func firstKeyComment(orig *yaml.Node) string {
	if len(orig.Content) == 0 {
		return ""
	}
	switch orig.Content[0].Value {
	case "name", "description", "programs", "traffic", "settle", "expect":
		return ""
	}
	return orig.Content[0].HeadComment
}
