package sim

// numbers hands out the small positive numbers that name a lab's links
// (ml<id>-p<n>, -b<n>, -x<n>, -t<n>): always the smallest free one, so
// that names stay within IFNAMSIZ however many links come and go while
// the lab runs, and a lab built at once numbers its links 1, 2, 3, …
type numbers struct {
	used []bool // used[n-1]: n is taken
	low  int    // every number below low+1 is taken
}

// take returns the smallest free number (from 1).
func (n *numbers) take() int {
	i := n.low
	for i < len(n.used) && n.used[i] {
		i++
	}
	if i == len(n.used) {
		n.used = append(n.used, false)
	}
	n.used[i] = true
	n.low = i + 1
	return i + 1
}

// release frees k (taken earlier) for a later take.
func (n *numbers) release(k int) {
	if k < 1 || k > len(n.used) {
		return
	}
	n.used[k-1] = false
	n.low = min(n.low, k-1)
}
