package spec

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"slices"
	"strconv"

	"gopkg.in/yaml.v3"
)

// A long block sequence (the entries of a generated network ACL, thousands
// of instances) is decoded a chunk of items at a time, so that the file's
// node tree never exists whole: yaml.v3 spends some 160 bytes per node, and
// a 12 MB file of 100 000 entries is 1.5 million nodes. The rest of the
// file (the skeleton: the same lines, the long sequences' lines left empty)
// is parsed and decoded as usual, then each long sequence is filled in.
//
// The split is taken only where it cannot change the meaning: the sequence
// is the block value of a plain key of a struct (found again in the
// skeleton's tree, with its value now empty), and the skeleton and every
// chunk parse on their own with no repeated key in the skeleton. Whatever
// crosses a chunk's edge (an unclosed flow collection or quoted string, an
// alias to an anchor elsewhere, a second document) makes one of those
// parses fail, and the file is then decoded whole.
const (
	splitMinBytes = 1 << 20 // smaller files are decoded whole
	splitMinItems = 1000    // shorter sequences stay in the skeleton
	chunkItems    = 256     // items parsed together
)

// seqRun is a long block sequence: the value of the key at keyLine:keyCol,
// its items starting at the byte offsets items (lines itemLines), its
// lines ending at end.
type seqRun struct {
	keyLine, keyCol int
	items           []int
	itemLines       []int
	end             int
}

// findRuns lists the long block sequences of data worth decoding apart
// (nil when the file is small or uses what the split cannot keep).
func findRuns(data []byte, minBytes, minItems int) []seqRun {
	if len(data) < minBytes {
		return nil
	}
	lines := splitLines(data)
	var runs []seqRun
	for i := 0; i < len(lines); i++ {
		k, ok := keyLine(data, lines[i])
		if !ok {
			continue
		}
		r, next := seqAfter(data, lines, i+1, k)
		if len(r.items) >= minItems {
			r.keyLine, r.keyCol = i+1, k+1
			runs = append(runs, r)
			i = next - 1
		}
	}
	return runs
}

type lineSpan struct{ start, end, indent int } // end excludes '\n'; indent -1: blank or comment

func splitLines(data []byte) []lineSpan {
	var out []lineSpan
	for start := 0; start < len(data); {
		end := bytes.IndexByte(data[start:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += start
		}
		t := data[start:end]
		indent := len(t) - len(bytes.TrimLeft(t, " "))
		if indent == len(t) || t[indent] == '#' {
			indent = -1
		}
		out = append(out, lineSpan{start, end, indent})
		start = end + 1
	}
	return out
}

// keyLine reports a line that is only a plain key and its colon (a comment
// may follow), and the key's indentation.
func keyLine(data []byte, l lineSpan) (int, bool) {
	if l.indent < 0 {
		return 0, false
	}
	t := data[l.start+l.indent : l.end]
	colon := bytes.IndexByte(t, ':')
	if colon <= 0 {
		return 0, false
	}
	for _, c := range t[:colon] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return 0, false
		}
	}
	rest := bytes.TrimLeft(t[colon+1:], " ")
	if len(rest) > 0 && (rest[0] != '#' || len(rest) == len(t[colon+1:])) {
		return 0, false // a value, or a '#' that is not a comment
	}
	return l.indent, true
}

// seqAfter collects the block sequence that starts at line i (after blank
// lines) at an indentation of at least k: its items and where it ends; next
// is the first line after it.
func seqAfter(data []byte, lines []lineSpan, i, k int) (r seqRun, next int) {
	d := -1
	for ; i < len(lines); i++ {
		l := lines[i]
		if l.indent < 0 {
			continue
		}
		if d < 0 {
			d = l.indent
			if d < k {
				break
			}
		}
		if l.indent > d && len(r.items) > 0 {
			continue // inside the current item
		}
		t := data[l.start+l.indent : l.end]
		if l.indent != d || t[0] != '-' || len(t) > 1 && t[1] != ' ' {
			break
		}
		r.items = append(r.items, l.start)
		r.itemLines = append(r.itemLines, i+1)
	}
	r.end = len(data)
	if i < len(lines) {
		r.end = lines[i].start
	}
	return r, i
}

// skeleton is data with the runs' lines emptied (their line breaks kept).
func skeleton(data []byte, runs []seqRun) []byte {
	out := make([]byte, 0, len(data)/8)
	last := 0
	for _, r := range runs {
		out = append(out, data[last:r.items[0]]...)
		out = append(out, bytes.Repeat([]byte{'\n'}, bytes.Count(data[r.items[0]:r.end], []byte{'\n'}))...)
		last = r.end
	}
	return append(out, data[last:]...)
}

// decodeSplit decodes data whose long sequences are runs; ok is false when
// the split cannot be used (the caller decodes the file whole).
func decodeSplit(ctx context.Context, file string, data []byte, runs []seqRun) (s *Scenario, ok bool, err error) {
	doc, ps := parseTree(ctx, file, skeleton(data, runs))
	if ctx.Err() != nil {
		return nil, true, interrupted(ctx, file)
	}
	if doc == nil || len(ps) > 0 {
		return nil, false, nil
	}
	if duplicateKeys(file, doc, &ps); len(ps) > 0 {
		return nil, false, nil // the whole decoder reports them
	}
	s = &Scenario{File: file}
	var te *yaml.TypeError
	if err := doc.Decode(s); errors.As(err, &te) {
		for _, e := range te.Errors {
			ps = append(ps, yamlProblem(file, e))
		}
	} else if err != nil {
		return nil, false, nil
	}
	nodes, aliases := treeStats(doc)
	for _, e := range unknownFields(doc, reflect.TypeFor[Scenario](), nodes+maxIndexedNodes) {
		ps = append(ps, yamlProblem(file, e))
	}
	targets := make([]reflect.Value, len(runs))
	paths := make([]string, len(runs))
	for i, r := range runs {
		var found bool
		if targets[i], paths[i], found = runTarget(doc, reflect.ValueOf(s).Elem(), "", r.keyLine, r.keyCol); !found {
			return nil, false, nil
		}
	}
	s.pos, s.names = buildPosIndex(doc, nodes, !aliases)
	for i, r := range runs {
		if ctx.Err() != nil {
			return nil, true, interrupted(ctx, file)
		}
		kids, ok := fillRun(ctx, file, data, r, targets[i], paths[i], &ps)
		if !ok {
			return nil, false, nil
		}
		if p := s.pos.node(paths[i]); p != nil {
			p.seq, p.kids = true, kids
		}
	}
	if ctx.Err() != nil {
		return nil, true, interrupted(ctx, file)
	}
	if len(ps) > 0 {
		return s, true, ps.sorted()
	}
	return s, true, nil
}

// runTarget finds, in the decoded skeleton, the slice that the key at
// line:col holds (its value empty in the skeleton), and its path.
func runTarget(n *yaml.Node, v reflect.Value, path string, line, col int) (reflect.Value, string, bool) {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if selfDecoding(v.Type()) {
		if v.CanAddr() {
			if _, ok := v.Addr().Interface().(runFiller); ok {
				if p, found := keyPath(n, path, line, col); found {
					return v, p, true
				}
			}
		}
		return reflect.Value{}, "", false
	}
	switch {
	case n.Kind == yaml.MappingNode && v.Kind() == reflect.Struct:
		info := structFields(v.Type())
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			idx, known := info.index[k.Value]
			f, err := v.FieldByIndexErr(idx)
			if !known || err != nil {
				continue
			}
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			if k.Line == line && k.Column == col {
				empty := val.Kind == yaml.ScalarNode && val.Tag == "!!null" && val.Value == ""
				filler := f.CanAddr() && f.Addr().Type().Implements(reflect.TypeFor[runFiller]())
				return f, p, empty && (filler || f.Kind() == reflect.Slice && !selfDecoding(f.Type()))
			}
			if t, tp, ok := runTarget(val, f, p, line, col); ok {
				return t, tp, true
			}
		}
	case n.Kind == yaml.SequenceNode && v.Kind() == reflect.Slice && v.Len() == len(n.Content):
		for i, item := range n.Content {
			if t, tp, ok := runTarget(item, v.Index(i), path+"["+strconv.Itoa(i)+"]", line, col); ok {
				return t, tp, true
			}
		}
	}
	return reflect.Value{}, "", false
}

// fillRun decodes run r of data, chunkItems items at a time, into target
// and returns the items' positions; false when a chunk is not a
// well-formed block sequence on its own.
func fillRun(ctx context.Context, file string, data []byte, r seqRun, target reflect.Value, path string, ps *Problems) ([]posNode, bool) {
	filler, isFiller := target.Addr().Interface().(runFiller)
	if !isFiller {
		target.Set(reflect.MakeSlice(target.Type(), 0, len(r.items)))
	}
	kids := make([]posNode, 0, len(r.items))
	names := make([]string, 0, len(r.items))
	b := posBuilder{keys: map[string]string{}}
	for j := 0; j < len(r.items); j += chunkItems {
		if ctx.Err() != nil {
			return nil, true // the caller reports the interrupt
		}
		end, n := r.end, min(chunkItems, len(r.items)-j)
		if j+n < len(r.items) {
			end = r.items[j+n]
		}
		var doc yaml.Node
		if yaml.Unmarshal(data[r.items[j]:end], &doc) != nil || len(doc.Content) != 1 ||
			doc.Content[0].Kind != yaml.SequenceNode || len(doc.Content[0].Content) != n {
			return nil, false
		}
		seq := doc.Content[0]
		shiftLines(seq, r.itemLines[j]-1)
		duplicateKeys(file, seq, ps)
		nodes, aliases := treeStats(seq)
		if !fillChunk(file, seq, target, filler, path, j, nodes, ps) {
			return nil, false
		}
		b.budget, b.release = nodes+maxIndexedNodes, !aliases
		for _, item := range seq.Content {
			names = append(names, itemName(item))
			kids = append(kids, posNode{line: int32(item.Line), col: int32(item.Column)})
			b.fill(&kids[len(kids)-1], item)
		}
	}
	nameItems(kids, names)
	return kids, true
}

func shiftLines(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
}

// tableSections are the parts of the file that the model's tables decode
// (their lists are not split: they are small).
var tableSections = [][]string{
	{"mirror"}, {"network", "securityGroups"}, {"network", "vpcPeeringConnections"}, {"network", "transitGateways"},
	{"network", "loadBalancers"}, {"network", "vpcs"}, {"network", "networkAcls"}, {"network", "instances"},
}

// runsOutside drops the runs inside tableSections, but for a network
// ACL's entries (aclSection.fillRun) and the instances (instanceSection.fillRun).
func runsOutside(data []byte, runs []seqRun) []seqRun {
	if runs == nil {
		return nil
	}
	lines := splitLines(data)
	var out []seqRun
	type level struct {
		indent int
		key    string
	}
	var stack []level // the keys above line next, by indentation
	next := 0
	for _, r := range runs {
		for ; next < r.keyLine && next < len(lines); next++ {
			l := lines[next]
			if l.indent < 0 {
				continue
			}
			t := bytes.TrimLeft(data[l.start+l.indent:l.end], "- ")
			k, _, ok := bytes.Cut(t, []byte(":"))
			if !ok {
				continue
			}
			indent := l.end - l.start - len(t)
			for len(stack) > 0 && stack[len(stack)-1].indent >= indent {
				stack = stack[:len(stack)-1]
			}
			stack = append(stack, level{indent, string(k)})
		}
		keys := make([]string, len(stack))
		for i, l := range stack {
			keys[i] = l.key
		}
		inside := slices.ContainsFunc(tableSections, func(sec []string) bool {
			return len(keys) >= len(sec) && slices.Equal(keys[:len(sec)], sec)
		})
		if !inside || slices.Equal(keys, []string{"network", "networkAcls", "entries"}) || slices.Equal(keys, []string{"network", "instances"}) {
			out = append(out, r)
		}
	}
	return out
}

// A runFiller is a part of the file that the model's tables decode and
// that takes a long sequence of it a chunk at a time: seq holds the items
// from the first-th on of the sequence at path; it returns their problems
// (yaml.v3's "line N: ..."), false when it cannot take that sequence.
type runFiller interface {
	fillRun(path string, first int, seq *yaml.Node) (errs []string, ok bool)
}

// fillChunk decodes the chunk seq (items from the first-th on, nodes
// nodes) into target, or through filler when it is one.
func fillChunk(file string, seq *yaml.Node, target reflect.Value, filler runFiller, path string, first, nodes int, ps *Problems) bool {
	var errs []string
	if filler != nil {
		var ok bool
		if errs, ok = filler.fillRun(path, first, seq); !ok {
			return false
		}
	} else {
		tmp := reflect.New(target.Type())
		var te *yaml.TypeError
		if err := seq.Decode(tmp.Interface()); errors.As(err, &te) {
			errs = te.Errors
		} else if err != nil {
			return false
		}
		target.Set(reflect.AppendSlice(target, tmp.Elem()))
		errs = append(errs, unknownFields(seq, target.Type(), nodes+maxIndexedNodes)...)
	}
	for _, e := range errs {
		*ps = append(*ps, yamlProblem(file, e))
	}
	return true
}

// keyPath finds, below node n at path, the key at line:col and returns its
// path.
func keyPath(n *yaml.Node, path string, line, col int) (string, bool) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			if k.Line == line && k.Column == col {
				return p, true
			}
			if q, ok := keyPath(n.Content[i+1], p, line, col); ok {
				return q, true
			}
		}
	case yaml.SequenceNode:
		for i, it := range n.Content {
			if q, ok := keyPath(it, path+"["+strconv.Itoa(i)+"]", line, col); ok {
				return q, true
			}
		}
	}
	return "", false
}
