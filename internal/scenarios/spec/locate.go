package spec

import (
	"fmt"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// badBytes finds the first byte sequence the YAML reader refuses (invalid
// UTF-8, NUL and other control characters), so the problem has a line and
// a column (the YAML library gives neither).
func badBytes(file string, data []byte) *Problem {
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return &Problem{File: file, Line: line, Col: col,
				Message: fmt.Sprintf("invalid UTF-8 (byte 0x%02x): a scenario file is UTF-8 text", data[i])}
		case !yamlPrintable(r):
			return &Problem{File: file, Line: line, Col: col,
				Message: fmt.Sprintf("control character %U is not allowed in YAML", r)}
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return nil
}

// yamlPrintable is YAML 1.2's c-printable (what the reader accepts).
func yamlPrintable(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r' || r == 0x85:
		return true
	case r >= 0x20 && r <= 0x7e:
		return true
	case r >= 0xa0 && r <= 0xd7ff, r >= 0xe000 && r <= 0xfffd && r != 0xfeff, r >= 0x10000 && r <= 0x10ffff:
		return true
	}
	return r == 0xfeff // a byte-order mark, which the reader skips
}

// aliasBomb finds the alias whose expansion is the largest (the decoder
// refuses a document with "excessive aliasing" and says not where).
func aliasBomb(file string, doc *yaml.Node) *Problem {
	sizes := map[*yaml.Node]float64{}
	var size func(n *yaml.Node) float64
	size = func(n *yaml.Node) float64 {
		if s, ok := sizes[n]; ok {
			return s
		}
		sizes[n] = 1 // a cycle counts once
		s := 1.0
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			s += size(n.Alias)
		}
		for _, c := range n.Content {
			s += size(c)
		}
		sizes[n] = s
		return s
	}
	size(doc)
	var worst *yaml.Node
	for n, s := range sizes {
		if n.Kind == yaml.AliasNode && (worst == nil || s > sizes[worst] || s == sizes[worst] && n.Line < worst.Line) {
			worst = n
		}
	}
	if worst == nil {
		return &Problem{File: file, Line: 1, Message: "the document contains excessive aliasing"}
	}
	return &Problem{File: file, Line: worst.Line, Col: worst.Column,
		Message: fmt.Sprintf("alias *%s expands to about %.0f nodes: the document contains excessive aliasing (an alias bomb)", worst.Value, sizes[worst])}
}

// duplicateKeys reports every key repeated in a mapping, at any depth, at
// the repetition (the YAML library reports only the first mapping's, and
// then skips decoding that mapping altogether), and removes the repeated
// pairs from the tree, the first one staying.
func duplicateKeys(file string, n *yaml.Node, out *Problems) {
	if n == nil {
		return
	}
	if n.Kind == yaml.MappingNode {
		first := map[string]*yaml.Node{}
		kept := n.Content[:0:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Value != "<<" {
				if f, dup := first[k.Value]; dup {
					*out = append(*out, &Problem{File: file, Line: k.Line, Col: k.Column,
						Message: fmt.Sprintf("mapping key %q is already defined at line %d (this one is ignored)", k.Value, f.Line)})
					continue
				}
				first[k.Value] = k
			}
			kept = append(kept, k, v)
		}
		n.Content = kept
	}
	for _, c := range n.Content {
		duplicateKeys(file, c, out)
	}
}

// treeStats counts the nodes of a tree (aliases not followed) and tells
// whether it holds an alias.
func treeStats(n *yaml.Node) (nodes int, aliases bool) {
	if n == nil {
		return 0, false
	}
	nodes, aliases = 1, n.Kind == yaml.AliasNode
	for _, c := range n.Content {
		k, a := treeStats(c)
		nodes, aliases = nodes+k, aliases || a
	}
	return nodes, aliases
}
