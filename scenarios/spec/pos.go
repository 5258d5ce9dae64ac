package spec

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// posIndex maps a document path (a.b[2].c) to where it is in the file: the
// key's position for mapping values, the item's for sequence items.
type posIndex map[string][2]int

func buildPosIndex(doc *yaml.Node) posIndex {
	idx := posIndex{}
	if doc == nil {
		return idx
	}
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	idx[""] = [2]int{n.Line, n.Column}
	budget := maxIndexedNodes
	idx.walk("", n, &budget)
	return idx
}

// maxIndexedNodes bounds the walk: aliases are followed only for merge keys
// (<<: *base), and a file built to expand exponentially stops being indexed
// (the strict decoder refuses it anyway).
const maxIndexedNodes = 200_000

func (idx posIndex) walk(path string, n *yaml.Node, budget *int) {
	if *budget--; *budget < 0 {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" { // merge key: its fields sit at this level
				if v.Kind == yaml.AliasNode && v.Alias != nil {
					v = v.Alias
				}
				idx.walk(path, v, budget)
				continue
			}
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			idx[p] = [2]int{k.Line, k.Column}
			idx.walk(p, v, budget)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			p := path + "[" + strconv.Itoa(i) + "]"
			idx[p] = [2]int{item.Line, item.Column}
			idx.walk(p, item, budget)
		}
	}
}

// lookup gives the line and column of path, or of its nearest ancestor that
// is in the file (a missing required field points at its parent).
func (idx posIndex) lookup(path string) (line, col int) {
	for {
		if lc, ok := idx[path]; ok {
			return lc[0], lc[1]
		}
		if path == "" {
			return 0, 0
		}
		cut := strings.LastIndexAny(path, ".[")
		if cut < 0 {
			path = ""
		} else {
			path = path[:cut]
		}
	}
}

// Position returns the file, line and column of a document path in s (the
// nearest ancestor that is present).
func (s *Scenario) Position(path string) (file string, line, col int) {
	line, col = s.pos.lookup(path)
	return s.File, line, col
}
