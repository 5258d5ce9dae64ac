package ec2api

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// refMatch is the plain definition of an EC2 filter value's match, by
// dynamic programming over (pattern position, value position): slow
// (len(pattern) × len(s)) and obviously right, the reference for glob.
func refMatch(pattern, s string) bool {
	type el struct {
		star, any bool
		r         rune
	}
	var p []el
	pr := []rune(pattern)
	for i := 0; i < len(pr); i++ {
		switch {
		case pr[i] == '*':
			p = append(p, el{star: true})
		case pr[i] == '?':
			p = append(p, el{any: true})
		case pr[i] == '\\' && i+1 < len(pr):
			i++
			p = append(p, el{r: pr[i]})
		default:
			p = append(p, el{r: pr[i]})
		}
	}
	r := []rune(s)
	// ok[j]: p[:i] matches r[:j]
	ok := make([]bool, len(r)+1)
	ok[0] = true
	for _, e := range p {
		next := make([]bool, len(r)+1)
		for j := range next {
			switch {
			case e.star:
				next[j] = ok[j] || (j > 0 && next[j-1])
			case j > 0:
				next[j] = ok[j-1] && (e.any || e.r == r[j-1])
			}
		}
		ok = next
	}
	return ok[len(r)]
}

func TestWildcardMatch(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		want bool
	}{
		{"web", "web", true}, {"web", "webs", false}, {"w?b", "wab", true}, {"w?b", "wb", false},
		{"*", "", true}, {"*", "anything", true}, {"", "", true}, {"", "x", false},
		{"*eni*", "web-eni", true}, {"a*b*c", "abc", true}, {"a*b*c", "aXbYbZc", true}, {"a*b*c", "acb", false},
		{"a*a", "a", false}, {"a*a", "aa", true}, {`\*`, "*", true}, {`\*`, "x", false}, {`\?`, "?", true},
		{`a\`, `a\`, true}, {"??", "éa", true}, {"*??*", "é", false},
		{"*" + strings.Repeat("?", 70) + "x*", strings.Repeat("y", 70) + "x", true},
		{"*" + strings.Repeat("?", 70) + "x*", strings.Repeat("y", 69) + "x", false},
	} {
		if got := wildcardMatch(tc.p, tc.s); got != tc.want || refMatch(tc.p, tc.s) != tc.want {
			t.Errorf("match(%q, %q) = %v (reference %v), want %v", tc.p, tc.s, got, refMatch(tc.p, tc.s), tc.want)
		}
	}
}

// FuzzWildcardMatch compares the linear matcher with the reference on
// short inputs.
func FuzzWildcardMatch(f *testing.F) {
	for _, seed := range [][2]string{{"*a?b*", "xxaybzz"}, {`a\*b`, "a*b"}, {"**?", "é"}, {"a*a*a", "aaaa"}, {"", ""}, {`\`, `\`}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, p, s string) {
		if utf8.RuneCountInString(p) > 200 || utf8.RuneCountInString(s) > 200 {
			return
		}
		if got, want := wildcardMatch(p, s), refMatch(p, s); got != want {
			t.Fatalf("match(%q, %q) = %v, reference %v", p, s, got, want)
		}
	})
}

// BenchmarkWildcardWorstCase matches a 200 000-character field against
// the 100 000-character value (a * first, no match at the end:
// quadratic for a backtracking matcher) and against the longest value a
// request may now carry with a part between two *s.
func BenchmarkWildcardWorstCase(b *testing.B) {
	field := strings.Repeat("a", 200000)
	for name, pattern := range map[string]string{
		"issue-100000": "*" + strings.Repeat("a", 99998) + "b",
		"middle-256":   "*" + strings.Repeat("a", 253) + "b*",
		"question-256": "*" + strings.Repeat("?", 253) + "b*",
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if wildcardMatch(pattern, field) {
					b.Fatal("matched")
				}
			}
		})
	}
}

// Long parts (several 64-bit words in the shift-and) on a two-letter
// alphabet, where matches overlap, against the reference.
func TestWildcardMatchLongParts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func(n int, q bool) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "ab"[rng.IntN(2)]
			if q && rng.IntN(8) == 0 {
				b[i] = '?'
			}
		}
		return string(b)
	}
	for i := range 3000 {
		s := word(100+rng.IntN(300), false)
		var p string
		switch i % 3 {
		case 0: // a part taken from s, so that it matches
			at := rng.IntN(len(s) - 70)
			p = "*" + s[at:at+65+rng.IntN(len(s)-at-65)] + "*"
		case 1:
			p = "*" + word(60+rng.IntN(80), true) + "*" + word(rng.IntN(70), true)
		default:
			p = word(rng.IntN(10), true) + "*" + word(65+rng.IntN(130), true) + "*"
		}
		if got, want := wildcardMatch(p, s), refMatch(p, s); got != want {
			t.Fatalf("match(%q, %q) = %v, reference %v", p, s, got, want)
		}
	}
}
