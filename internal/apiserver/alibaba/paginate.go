package alibaba

import (
	"slices"
	"strconv"
	"strings"
)

// paging is a list request's MaxResults and NextToken.
type paging struct {
	max   int
	token string
}

// page is a list answer's paging fields.
type page struct {
	NextToken  string `json:"NextToken"`
	MaxResults int    `json:"MaxResults"`
	Count      int    `json:"Count"`
	TotalCount string `json:"TotalCount"`
}

// paging reads MaxResults (1..100, default 10) and NextToken.
func (c *call) paging() paging {
	pg := paging{max: 10}
	if n := c.in.int("MaxResults"); n != nil {
		if *n < 1 || *n > 100 {
			c.in.fail(errInvalid("MaxResults", strconv.Itoa(*n), "It must be 1 to 100."))
		}
		pg.max = *n
	}
	pg.token, _ = c.p.str("NextToken")
	return pg
}

// paginate sorts items by key and returns one page: from the first item
// whose key is not below the token (the key of the first item of the next
// page), at most pg.max items.
func paginate[T any](items []T, pg paging, key func(T) string) ([]T, page) {
	slices.SortFunc(items, func(x, y T) int { return strings.Compare(key(x), key(y)) })
	start := 0
	if pg.token != "" {
		for start < len(items) && key(items[start]) < pg.token {
			start++
		}
	}
	end := min(start+pg.max, len(items))
	out := append([]T{}, items[start:end]...)
	p := page{MaxResults: pg.max, Count: len(out), TotalCount: strconv.Itoa(len(items))}
	if end < len(items) {
		p.NextToken = key(items[end])
	}
	return out, p
}

func itoa(n int) string { return strconv.Itoa(n) }
