package compare

import (
	"cmp"
	"strings"
)

// endpointName returns the endpoint of a request: its method and the path of
// target (query dropped) with numeric, UUID-like and long hexadecimal
// segments folded to {id}, e.g. "GET /users/{id}/orders".
func endpointName(method, target string) string {
	path := target
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		rest := path[strings.Index(path, "//")+2:]
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			path = rest[i:]
		} else {
			path = "/"
		}
	}
	path = cmp.Or(path, "/")
	if !needsFold(path) {
		return method + " " + path
	}
	var b strings.Builder
	b.Grow(len(method) + 1 + len(path))
	b.WriteString(method)
	b.WriteByte(' ')
	for i, seg := range strings.Split(path, "/") {
		if i > 0 {
			b.WriteByte('/')
		}
		if isID(seg) {
			b.WriteString("{id}")
		} else {
			b.WriteString(seg)
		}
	}
	return b.String()
}

func needsFold(path string) bool {
	for _, seg := range strings.Split(path, "/") {
		if isID(seg) {
			return true
		}
	}
	return false
}

// isID reports whether a path segment is an identifier: all digits, a UUID
// (8-4-4-4-12 hex digits) or 16 or more hex digits.
func isID(s string) bool {
	if s == "" {
		return false
	}
	digits, hex := true, true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			digits = false
		}
		if !isHex(c) {
			hex = false
		}
	}
	if digits || hex && len(s) >= 16 {
		return true
	}
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
