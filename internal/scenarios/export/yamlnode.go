package export

import (
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"
)

// encode turns v into a node and writes its small items in flow style, as
// the library's files do.
func encode(v any) (*yaml.Node, error) {
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return nil, fmt.Errorf("export: encode: %w", err)
	}
	flowSmall(&n, "")
	return &n, nil
}

// flowItems are the lists whose items are written on one line each;
// flowValues the mappings written on one line.
var (
	flowItems  = map[string]bool{"subnets": true, "entries": true, "SecurityGroupIngress": true, "SecurityGroupEgress": true, "networkInterfaces": true, "Listeners": true, "Targets": true, "vxlanDevices": true}
	flowValues = map[string]bool{"PortRange": true, "SourcePortRange": true, "DestinationPortRange": true}
)

func flowSmall(n *yaml.Node, key string) {
	switch n.Kind {
	case yaml.SequenceNode:
		for _, it := range n.Content {
			if flowItems[key] && it.Kind == yaml.MappingNode {
				it.Style = yaml.FlowStyle
			}
			flowSmall(it, "")
		}
	case yaml.MappingNode:
		if flowValues[key] {
			n.Style = yaml.FlowStyle
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			flowSmall(n.Content[i+1], n.Content[i].Value)
		}
	}
}

// maxCopiedNodes bounds the copy of the original's sections (aliases are
// expanded so that the file stands without the anchors of the sections it
// replaces).
const maxCopiedNodes = 200_000

var errTooLarge = errors.New("export: the original scenario's sections expand to too many YAML nodes")

// expand deep-copies n, replacing aliases by copies of what they name.
func expand(n *yaml.Node, budget *int) (*yaml.Node, error) {
	if *budget--; *budget < 0 {
		return nil, errTooLarge
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		cp, err := expand(n.Alias, budget)
		if err != nil {
			return nil, err
		}
		cp.Anchor = ""
		return cp, nil
	}
	cp := *n
	cp.Anchor = ""
	cp.Content = nil
	for _, ch := range n.Content {
		x, err := expand(ch, budget)
		if err != nil {
			return nil, err
		}
		cp.Content = append(cp.Content, x)
	}
	return &cp, nil
}

// joinComment appends a titled list to a comment.
func joinComment(prev, title string, items []string) string {
	s := title
	for _, it := range items {
		s += "\n  - " + it
	}
	if prev != "" {
		return prev + "\n" + s
	}
	return s
}

// joinLines joins two comments, either possibly empty.
func joinLines(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "\n" + b
}
