package cli

import (
	"fmt"
	"strconv"
	"strings"
)

// portList is a comma-separated list of TCP ports.
type portList []uint16

func (p *portList) String() string {
	var s []string
	for _, v := range *p {
		s = append(s, strconv.Itoa(int(v)))
	}
	return strings.Join(s, ",")
}

func (p *portList) Set(v string) error {
	var out []uint16
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		n, err := strconv.ParseUint(f, 10, 16)
		if err != nil || n == 0 {
			return fmt.Errorf("%q is not a port: give 1..65535, or a comma list such as 80,8080", f)
		}
		out = append(out, uint16(n))
	}
	*p = out
	return nil
}

// vniList is a comma-separated list of VNIs.
type vniList []uint32

func (l *vniList) String() string {
	var s []string
	for _, v := range *l {
		s = append(s, strconv.FormatUint(uint64(v), 10))
	}
	return strings.Join(s, ",")
}

func (l *vniList) Set(v string) error {
	var out []uint32
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		n, err := strconv.ParseUint(f, 10, 32)
		if err != nil || n > 1<<24-1 {
			return fmt.Errorf("%q is not a VNI: give 0..16777215, or a comma list such as 1,42", f)
		}
		out = append(out, uint32(n))
	}
	*l = out
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
