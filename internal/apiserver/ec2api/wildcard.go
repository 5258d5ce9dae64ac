package ec2api

// glob is a compiled EC2 filter value: * matches any run of characters,
// ? one character, and a backslash makes the next character literal (a
// trailing backslash is itself). The value is cut at each *: the first
// part must start the field, the last must end it, and each part between
// is found leftmost after the previous one (for globs, taking the
// leftmost occurrence never loses a match). Each search is a shift-and
// (bitap) scan, so a match costs O(len(field) × ⌈len(part)/64⌉), never
// len(pattern) × len(field) backtracking.
type glob struct {
	parts [][]globElem
	star  bool // at least one *: parts has first and last
}

// globElem is one character of a part: a literal rune or ? (any).
type globElem struct {
	any bool
	r   rune
}

// compileGlob compiles an EC2 filter value.
func compileGlob(pattern string) glob {
	var g glob
	cur := []globElem{}
	p := []rune(pattern)
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '*':
			g.parts = append(g.parts, cur)
			cur, g.star = []globElem{}, true
		case c == '?':
			cur = append(cur, globElem{any: true})
		case c == '\\' && i+1 < len(p):
			i++
			cur = append(cur, globElem{r: p[i]})
		default:
			cur = append(cur, globElem{r: c})
		}
	}
	g.parts = append(g.parts, cur)
	return g
}

// wildcardMatch matches s against an EC2 filter value.
func wildcardMatch(pattern, s string) bool { return compileGlob(pattern).match(s) }

// match says whether s matches the whole glob.
func (g glob) match(s string) bool {
	r := []rune(s)
	if !g.star {
		return len(r) == len(g.parts[0]) && equalAt(g.parts[0], r, 0)
	}
	first, last := g.parts[0], g.parts[len(g.parts)-1]
	end := len(r) - len(last)
	if end < len(first) || !equalAt(first, r, 0) || !equalAt(last, r, end) {
		return false
	}
	pos := len(first)
	for _, part := range g.parts[1 : len(g.parts)-1] {
		at := find(part, r[pos:end])
		if at < 0 {
			return false
		}
		pos += at
	}
	return true
}

// equalAt says whether part matches r at offset off (r is long enough).
func equalAt(part []globElem, r []rune, off int) bool {
	for i, e := range part {
		if !e.any && e.r != r[off+i] {
			return false
		}
	}
	return true
}

// find returns the end (exclusive) of part's leftmost occurrence in r, or
// -1. Shift-and: bit i of the state is set when part[:i+1] ends at the
// current rune.
func find(part []globElem, r []rune) int {
	k := len(part)
	if k == 0 {
		return 0
	}
	words := (k + 63) / 64
	anyMask := make([]uint64, words)
	masks := map[rune][]uint64{}
	for i, e := range part {
		if e.any {
			anyMask[i/64] |= 1 << (i % 64)
			continue
		}
		m := masks[e.r]
		if m == nil {
			m = make([]uint64, words)
			masks[e.r] = m
		}
		m[i/64] |= 1 << (i % 64)
	}
	state := make([]uint64, words)
	top, topBit := (k-1)/64, uint64(1)<<((k-1)%64)
	for j, c := range r {
		m := masks[c]
		carry := uint64(1) // a match may start at every rune
		for w := range state {
			shifted := state[w]<<1 | carry
			carry = state[w] >> 63
			allowed := anyMask[w]
			if m != nil {
				allowed |= m[w]
			}
			state[w] = shifted & allowed
		}
		if state[top]&topBit != 0 {
			return j + 1
		}
	}
	return -1
}
