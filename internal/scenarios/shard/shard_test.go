package shard

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Spec
		err  string
	}{
		{in: "1/1", want: Spec{1, 1}},
		{in: "2/4", want: Spec{2, 4}},
		{in: " 4 / 4 ", want: Spec{4, 4}},
		{in: "0/4", err: "JOB_COMPLETION_INDEX"},
		{in: "5/4", err: "from 1 to 4"},
		{in: "1/0", err: "at least 1"},
		{in: "1", err: "want I/N"},
		{in: "a/b", err: "whole numbers"},
		{in: "", err: "want I/N"},
	} {
		got, err := Parse(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Parse(%q) = %v, %v; want an error saying %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
		if again, _ := Parse(got.String()); again != got {
			t.Errorf("Parse(%q.String()) = %v", got, again)
		}
	}
}

func keys(names ...string) []Key {
	out := make([]Key, len(names))
	for i, n := range names {
		out[i] = Key{Name: n, File: "library/" + n + ".yaml"}
	}
	return out
}

func names(ks []Key, idx []int) []string {
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = ks[j].Name
	}
	return out
}

// TestSelectPartitions: every item is in exactly one shard, and the shards'
// sizes differ by at most one, for many set sizes and shard counts.
func TestSelectPartitions(t *testing.T) {
	for items := 0; items <= 20; items++ {
		var ns []string
		for i := range items {
			ns = append(ns, fmt.Sprintf("s%02d", (i*7)%items))
		}
		ks := keys(ns...)
		for n := 1; n <= 6; n++ {
			seen := make([]int, items)
			minSize, maxSize := items, 0
			for i := 1; i <= n; i++ {
				got := Select(ks, Spec{i, n})
				if !slices.IsSorted(got) {
					t.Fatalf("%d items, shard %d/%d: positions %v not in the given order", items, i, n, got)
				}
				for _, p := range got {
					seen[p]++
				}
				minSize, maxSize = min(minSize, len(got)), max(maxSize, len(got))
			}
			for p, c := range seen {
				if c != 1 {
					t.Fatalf("%d items over %d shards: item %d is in %d shards", items, n, p, c)
				}
			}
			if items > 0 && maxSize-minSize > 1 {
				t.Fatalf("%d items over %d shards: sizes from %d to %d", items, n, minSize, maxSize)
			}
		}
	}
}

// TestSelectIgnoresOrder: a shard holds the same scenarios whatever the
// order of the arguments.
func TestSelectIgnoresOrder(t *testing.T) {
	base := []string{"vni", "rule-order", "nlb-two-agents", "mtu-truncation-aws", "reject-stops", "session-priority", "packet-length"}
	want := map[int][]string{}
	for i := 1; i <= 3; i++ {
		got := names(keys(base...), Select(keys(base...), Spec{i, 3}))
		slices.Sort(got)
		want[i] = got
	}
	// the rule as documented: sorted by name, round-robin
	if !slices.Equal(want[1], []string{"mtu-truncation-aws", "reject-stops", "vni"}) {
		t.Fatalf("shard 1/3 = %v", want[1])
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		perm := slices.Clone(base)
		r.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		for i := 1; i <= 3; i++ {
			got := names(keys(perm...), Select(keys(perm...), Spec{i, 3}))
			slices.Sort(got)
			if !slices.Equal(got, want[i]) {
				t.Fatalf("order %v: shard %d/3 = %v, want %v", perm, i, got, want[i])
			}
		}
	}
}

// TestSelectSameNameDifferentFiles: two scenarios of one name are told
// apart by their files, whatever the order.
func TestSelectSameNameDifferentFiles(t *testing.T) {
	a := []Key{{Name: "x", File: "b.yaml"}, {Name: "x", File: "a.yaml"}}
	b := []Key{a[1], a[0]}
	ga, gb := Select(a, Spec{1, 2}), Select(b, Spec{1, 2})
	if len(ga) != 1 || len(gb) != 1 || a[ga[0]] != b[gb[0]] || a[ga[0]].File != "a.yaml" {
		t.Fatalf("shard 1/2 of %v = %v, of %v = %v", a, ga, b, gb)
	}
}
