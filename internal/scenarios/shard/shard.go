package shard

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Spec is one shard: Index of Count, 1 <= Index <= Count.
type Spec struct {
	Index, Count int
}

// String is the I/N form that Parse reads.
func (s Spec) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Parse reads "I/N" (for example "2/4": the second of four shards).
func Parse(text string) (Spec, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(text), "/")
	if !ok {
		return Spec{}, fmt.Errorf("shard %q: want I/N, such as 1/4 (the first of four shards)", text)
	}
	index, err1 := strconv.Atoi(strings.TrimSpace(i))
	count, err2 := strconv.Atoi(strings.TrimSpace(n))
	switch {
	case err1 != nil || err2 != nil:
		return Spec{}, fmt.Errorf("shard %q: I and N must be whole numbers, as in 1/4", text)
	case count < 1:
		return Spec{}, fmt.Errorf("shard %q: N must be at least 1", text)
	case index < 1 || index > count:
		return Spec{}, fmt.Errorf("shard %q: I must be from 1 to %d (shards count from 1; a Kubernetes JOB_COMPLETION_INDEX counts from 0, so pass $((JOB_COMPLETION_INDEX+1))/N)", text, count)
	}
	return Spec{Index: index, Count: count}, nil
}

// Key is what an item is sorted by: its scenario's name, then its file (the
// file only tells apart two scenarios of one name).
type Key struct {
	Name, File string
}

// Select returns the positions, in keys, of the items that belong to shard
// s, in ascending order (so in the order they were given).
func Select(keys []Key, s Spec) []int {
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if c := strings.Compare(keys[a].Name, keys[b].Name); c != 0 {
			return c
		}
		return strings.Compare(keys[a].File, keys[b].File)
	})
	var picked []int
	for pos := s.Index - 1; pos < len(order); pos += s.Count {
		picked = append(picked, order[pos])
	}
	slices.Sort(picked)
	return picked
}
