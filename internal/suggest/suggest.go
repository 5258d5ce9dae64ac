package suggest

import (
	"sort"
	"strings"
)

// Closest returns the candidates within a small edit distance of word
// (case-insensitive; at most a third of word's length, and at most 3),
// nearest first, then those that contain word or that word contains; at
// most max of them.
func Closest(word string, candidates []string, max int) []string {
	w := strings.ToLower(word)
	limit := min(3, max1(len(w)/3))
	type scored struct {
		name string
		d    int
	}
	var hits []scored
	for _, c := range candidates {
		lc := strings.ToLower(c)
		d := Distance(w, lc)
		switch {
		case d <= limit:
		case len(w) >= 3 && (strings.Contains(lc, w) || strings.Contains(w, lc)):
			d = limit + 1 + abs(len(lc)-len(w))
		default:
			continue
		}
		hits = append(hits, scored{c, d})
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].d < hits[j].d })
	var out []string
	for _, h := range hits {
		if len(out) == max {
			break
		}
		out = append(out, h.name)
	}
	return out
}

// Distance is the Levenshtein distance between a and b, in bytes.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
