package privtest

import "testing"

func TestCheck(t *testing.T) {
	cases := []struct {
		name                 string
		euid                 int
		require              string
		wantOK, wantMustFail bool
	}{
		{"root runs", 0, "", true, false},
		{"root runs even when required", 0, "1", true, false},
		{"non-root skips", 1000, "", false, false},
		{"non-root skips on other values", 1000, "0", false, false},
		{"non-root fails when required", 1000, "1", false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ok, reason, mustFail := check(c.euid, c.require)
			if ok != c.wantOK || mustFail != c.wantMustFail {
				t.Fatalf("check(%d, %q) = ok %v mustFail %v, want ok %v mustFail %v",
					c.euid, c.require, ok, mustFail, c.wantOK, c.wantMustFail)
			}
			if !ok && reason == "" {
				t.Fatal("a refusal must give a reason")
			}
		})
	}
}
