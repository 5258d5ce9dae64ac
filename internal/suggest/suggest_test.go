package suggest

import (
	"slices"
	"testing"
)

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"rejectBehavior", "rejectBehaviour", 1}, {"flaw", "lawn", 2}} {
		if got := Distance(c.a, c.b); got != c.d {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
}

func TestClosest(t *testing.T) {
	lib := []string{"rule-order", "reject-stops", "reject-falls-through", "mtu-truncation-aws", "mtu-truncation-alibaba", "nlb-no-listener"}
	for _, c := range []struct {
		word string
		want []string
	}{
		{"rule-ordr", []string{"rule-order"}},
		{"Rule-Order", []string{"rule-order"}},
		{"reject-stop", []string{"reject-stops"}},
		{"mtu-truncation", []string{"mtu-truncation-aws", "mtu-truncation-alibaba"}},
		{"truncation", []string{"mtu-truncation-aws", "mtu-truncation-alibaba"}},
		{"nothing-like-it", nil},
		{"ab", nil},
	} {
		if got := Closest(c.word, lib, 3); !slices.Equal(got, c.want) {
			t.Errorf("Closest(%q) = %q, want %q", c.word, got, c.want)
		}
	}
	if got := Closest("rejectBehavior", []string{"provider", "rejectBehaviour"}, 1); !slices.Equal(got, []string{"rejectBehaviour"}) {
		t.Errorf("field: %q", got)
	}
}
