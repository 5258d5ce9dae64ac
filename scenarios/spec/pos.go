package spec

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// posIndex maps a document path (a.b[2].c) to where it is in the file: the
// key's position for mapping values, the item's for sequence items.
type posIndex map[string][2]int

// nameIndex maps the path of a list item (a.b[2]) to its name: field,
// when it has one.
type nameIndex map[string]string

func buildPosIndex(doc *yaml.Node) (posIndex, nameIndex) {
	idx, names := posIndex{}, nameIndex{}
	if doc == nil {
		return idx, names
	}
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	idx[""] = [2]int{n.Line, n.Column}
	budget := maxIndexedNodes
	idx.walk("", n, names, &budget)
	return idx, names
}

// maxIndexedNodes bounds the walk: aliases are followed only for merge keys
// (<<: *base), and a file built to expand exponentially stops being indexed
// (the strict decoder refuses it anyway).
const maxIndexedNodes = 200_000

func (idx posIndex) walk(path string, n *yaml.Node, names nameIndex, budget *int) {
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
				idx.walk(path, v, names, budget)
				continue
			}
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			idx[p] = [2]int{k.Line, k.Column}
			idx.walk(p, v, names, budget)
		}
	case yaml.SequenceNode:
		// A name used twice in the list names neither item.
		count := map[string]int{}
		for _, item := range n.Content {
			count[itemName(item)]++
		}
		for i, item := range n.Content {
			p := path + "[" + strconv.Itoa(i) + "]"
			idx[p] = [2]int{item.Line, item.Column}
			if name := itemName(item); name != "" && count[name] == 1 && !strings.ContainsAny(name, "[]") {
				names[p] = name
			}
			idx.walk(p, item, names, budget)
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
func (names nameIndex) named(path string) string {
	if len(names) == 0 || !strings.Contains(path, "[") {
		return path
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(path); i++ {
		if path[i] != '[' {
			continue
		}
		j := strings.IndexByte(path[i:], ']')
		if j < 0 {
			break
		}
		end := i + j + 1
		if name, ok := names[path[:end]]; ok {
			b.WriteString(path[last:i])
			b.WriteString("[" + name + "]")
			last = end
		}
		i = end - 1
	}
	b.WriteString(path[last:])
	return b.String()
}
