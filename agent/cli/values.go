package cli

import (
	"fmt"
	"strconv"
	"strings"
)

// portList is a comma-separated list of TCP ports.
type portList []uint16

func (p *portList) String() string { return joinNumbers(*p) }

func (p *portList) Set(v string) error {
	return setNumbers((*[]uint16)(p), v, 16, 1, 65535, "%q is not a port: give 1..65535, or a comma list such as 80,8080")
}

// vniList is a comma-separated list of VNIs.
type vniList []uint32

func (l *vniList) String() string { return joinNumbers(*l) }

func (l *vniList) Set(v string) error {
	return setNumbers((*[]uint32)(l), v, 32, 0, 1<<24-1, "%q is not a VNI: give 0..16777215, or a comma list such as 1,42")
}

// joinNumbers writes a list of numbers as the flag takes it.
func joinNumbers[T ~uint16 | ~uint32](l []T) string {
	s := make([]string, len(l))
	for i, v := range l {
		s[i] = strconv.FormatUint(uint64(v), 10)
	}
	return strings.Join(s, ",")
}

// setNumbers sets *dst to the comma list v of numbers of bitSize bits,
// each in lo..hi; bad is the error, with the item, for one that is not.
func setNumbers[T ~uint16 | ~uint32](dst *[]T, v string, bitSize int, lo, hi uint64, bad string) error {
	var out []T
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		n, err := strconv.ParseUint(f, 10, bitSize)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf(bad, f)
		}
		out = append(out, T(n))
	}
	*dst = out
	return nil
}

// size is a byte count with an optional K, M or G suffix (powers of 1024).
type size int

func (s *size) String() string { return strconv.Itoa(int(*s)) }

func (s *size) Set(v string) error {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(v)), "B"), "I")
	mult := 1
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K':
			mult, t = 1<<10, t[:n-1]
		case 'M':
			mult, t = 1<<20, t[:n-1]
		case 'G':
			mult, t = 1<<30, t[:n-1]
		}
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return fmt.Errorf("%q is not a size: give bytes, optionally with K, M or G (e.g. 64M)", v)
	}
	*s = size(n * mult)
	return nil
}

// stringList collects a repeatable flag; each value may be a comma list.
type stringList struct{ p *[]string }

func (l stringList) String() string {
	if l.p == nil {
		return ""
	}
	return strings.Join(*l.p, ",")
}

func (l stringList) Set(v string) error {
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			*l.p = append(*l.p, f)
		}
	}
	return nil
}
