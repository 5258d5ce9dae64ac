package dataplane

import (
	"testing"
	"time"
)

// TestOrderClockBudget: waits stop once a window's budget is spent and
// resume in the next window.
func TestOrderClockBudget(t *testing.T) {
	var c orderClock
	t0 := time.Unix(1000, 0)
	if !c.allow(t0) {
		t.Fatal("first wait refused")
	}
	c.spent = orderBudget
	if c.allow(t0.Add(orderWindow / 2)) {
		t.Error("wait allowed with the budget spent")
	}
	if !c.allow(t0.Add(orderWindow)) || c.spent != 0 {
		t.Errorf("next window: budget not renewed (spent %v)", c.spent)
	}
}
