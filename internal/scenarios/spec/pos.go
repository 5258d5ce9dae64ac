package spec

import (
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// posIndex tells where each document path (a.b[2].c) is in the file: the
// key's position for mapping values, the item's for sequence items. It is
// a compact tree of the document's keys and items (no path strings), so a
// file of a million nodes costs tens of MB, not hundreds.
type posIndex = *posTree

// nameIndex names list items (a.b[2]) by their name: field, when it has
// one; the same tree as posIndex.
type nameIndex = *posTree

type posTree struct{ root posNode }

// posNode is a mapping key (key) or a sequence item (key: its name: field
// when unique in its list, else ""), with its position and children. A
// mapping's children are sorted by key; a sequence's are in order.
type posNode struct {
	key       string
	line, col int32
	seq       bool
	kids      []posNode
}

// maxIndexedNodes bounds what aliases add to the index: aliases are followed
// only for merge keys (<<: *base), and a file built to expand exponentially
// stops being indexed (the decoder refuses it anyway).
const maxIndexedNodes = 200_000

// buildPosIndex indexes the document tree doc of nodes nodes (aliases not
// followed). With release, it drops each node's children from doc once they
// are indexed, so that the tree's memory is freed as the index grows; only
// for a tree without aliases, which could point to what was dropped.
func buildPosIndex(doc *yaml.Node, nodes int, release bool) (posIndex, nameIndex) {
	t := &posTree{}
	n := doc
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n != nil {
		b := posBuilder{budget: nodes + maxIndexedNodes, release: release, keys: map[string]string{}}
		t.root = posNode{line: int32(n.Line), col: int32(n.Column)}
		b.fill(&t.root, n)
	}
	return t, t
}

type posBuilder struct {
	budget  int
	release bool
	keys    map[string]string // interned key strings
}

func (b *posBuilder) intern(s string) string {
	if k, ok := b.keys[s]; ok {
		return k
	}
	b.keys[s] = s
	return s
}

// fill sets the children of p from node n.
func (b *posBuilder) fill(p *posNode, n *yaml.Node) {
	if b.budget--; b.budget < 0 {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		b.mapping(p, n)
		// Sorted for lookup; of a key set and also merged in (or merged
		// twice), the first counts, as for the decoder.
		slices.SortStableFunc(p.kids, func(x, y posNode) int { return strings.Compare(x.key, y.key) })
		p.kids = slices.CompactFunc(p.kids, func(x, y posNode) bool { return x.key == y.key })
	case yaml.SequenceNode:
		p.seq = true
		p.kids = make([]posNode, len(n.Content))
		names := make([]string, len(n.Content))
		for i, item := range n.Content {
			names[i] = itemName(item)
			p.kids[i] = posNode{line: int32(item.Line), col: int32(item.Column)}
			b.fill(&p.kids[i], item)
		}
		nameItems(p.kids, names)
	}
	if b.release {
		n.Content = nil
	}
}

// nameItems names each item by its name: field, unless the name is
// missing, used twice in the list, or holds brackets.
func nameItems(items []posNode, names []string) {
	count := make(map[string]int, len(names))
	for _, n := range names {
		count[n]++
	}
	for i, n := range names {
		if n != "" && count[n] == 1 && !strings.ContainsAny(n, "[]") {
			items[i].key = n
		}
	}
}

// mapping appends the keys of n, then those it merges (<<), to p's children.
func (b *posBuilder) mapping(p *posNode, n *yaml.Node) {
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "<<" {
			merges = append(merges, v)
			continue
		}
		p.kids = append(p.kids, posNode{key: b.intern(k.Value), line: int32(k.Line), col: int32(k.Column)})
		b.fill(&p.kids[len(p.kids)-1], v)
	}
	for _, v := range merges {
		var list []*yaml.Node
		if v.Kind == yaml.SequenceNode {
			list = v.Content
		} else {
			list = []*yaml.Node{v}
		}
		for _, m := range list {
			if m.Kind == yaml.AliasNode && m.Alias != nil {
				m = m.Alias
			}
			if m.Kind == yaml.MappingNode && b.budget > 0 {
				b.budget--
				b.mapping(p, m)
			}
		}
	}
}

// find returns the child of p at one path segment: a key, or [i].
func (p *posNode) find(key string, index int) *posNode {
	if p.seq {
		if index >= 0 && index < len(p.kids) {
			return &p.kids[index]
		}
		return nil
	}
	if index >= 0 {
		return nil
	}
	i, ok := slices.BinarySearchFunc(p.kids, key, func(k posNode, key string) int { return strings.Compare(k.key, key) })
	if !ok {
		return nil
	}
	return &p.kids[i]
}

// segments calls fn for each segment of path (a.b[2].c: "a", "b", [2],
// "c"; index -1 for a key) with the path up to its end, until fn returns
// false.
func segments(path string, fn func(key string, index int, end int) bool) {
	for i := 0; i < len(path); {
		switch path[i] {
		case '.':
			i++
			continue
		case '[':
			j := strings.IndexByte(path[i:], ']')
			if j < 0 {
				return
			}
			n, err := strconv.Atoi(path[i+1 : i+j])
			if err != nil {
				n = len(path) // no such item
			}
			if !fn("", n, i+j+1) {
				return
			}
			i += j + 1
			continue
		}
		j := strings.IndexAny(path[i:], ".[")
		if j < 0 {
			j = len(path) - i
		}
		if !fn(path[i:i+j], -1, i+j) {
			return
		}
		i += j
	}
}

// node is the node at path exactly (nil when absent).
func (t *posTree) node(path string) *posNode {
	p := &t.root
	segments(path, func(key string, index, _ int) bool {
		p = p.find(key, index)
		return p != nil
	})
	return p
}

// lookup gives the line and column of path, or of its nearest ancestor that
// is in the file (a missing required field points at its parent).
func (t *posTree) lookup(path string) (line, col int) {
	if t == nil {
		return 0, 0
	}
	p := &t.root
	segments(path, func(key string, index, _ int) bool {
		if k := p.find(key, index); k != nil {
			p = k
			return true
		}
		return false
	})
	return int(p.line), int(p.col)
}

// Position returns the file, line and column of a document path in s (the
// nearest ancestor that is present).
func (s *Scenario) Position(path string) (file string, line, col int) {
	line, col = s.pos.lookup(path)
	return s.File, line, col
}

// itemName is the value of a mapping's name: key, if it is a plain scalar.
func itemName(n *yaml.Node) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k, v := n.Content[i], n.Content[i+1]; k.Value == "name" && v.Kind == yaml.ScalarNode {
			return v.Value
		}
	}
	return ""
}

// named rewrites every list index of path whose item has a name into that
// name: mirror.sessions[2].SessionNumber becomes
// mirror.sessions[web-session].SessionNumber.
func (t *posTree) named(path string) string {
	if t == nil || !strings.Contains(path, "[") {
		return path
	}
	var b strings.Builder
	p, last := &t.root, 0
	segments(path, func(key string, index, end int) bool {
		k := p.find(key, index)
		if k == nil {
			return false
		}
		if index >= 0 && k.key != "" {
			start := strings.LastIndexByte(path[:end], '[')
			b.WriteString(path[last:start])
			b.WriteString("[" + k.key + "]")
			last = end
		}
		p = k
		return true
	})
	b.WriteString(path[last:])
	return b.String()
}
