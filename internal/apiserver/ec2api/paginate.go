package ec2api

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// pager is a Describe request's MaxResults/NextToken. Answers are sorted
// by id and a NextToken is the (encoded) last id of the previous page, so
// paging stays correct when resources are created or deleted in between.
type pager struct {
	max   int // 0: no limit
	after string
}

// tokenPrefix marks our tokens, so that a foreign string is refused.
const tokenPrefix = "ml1:"

// paging reads MaxResults (bounded to lo..hi, as the action's reference
// documents; out of bounds is InvalidParameterValue) and NextToken.
func (p *params) paging(lo, hi int) pager {
	var pg pager
	if n := p.int("MaxResults"); n != nil {
		if *n < lo || *n > hi {
			p.fail(errInvalid("MaxResults", fmt.Sprint(*n), fmt.Sprintf("It must be between %d and %d.", lo, hi)))
			return pg
		}
		pg.max = *n
	}
	if tok, ok := p.str("NextToken"); ok && tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		after, found := strings.CutPrefix(string(raw), tokenPrefix)
		if err != nil || !found || after == "" {
			p.fail(errInvalid("NextToken", tok, "It is not a token this server issued."))
			return pg
		}
		pg.after = after
	}
	return pg
}

// filterPage keeps the items that match fs (applyFilters) and returns
// pg's page of them and the next token (page).
func filterPage[T any](items []T, fs []Filter, pg pager, fields filterFields[T], id func(T) string, tags tagStore) ([]T, string, error) {
	items, err := applyFilters(items, fs, fields, id, tags)
	if err != nil {
		return nil, "", err
	}
	items, next := page(pg, items, id)
	return items, next, nil
}

// page returns the items after the token (items sorted by id) and the
// next token ("" on the last page).
func page[T any](pg pager, items []T, id func(T) string) ([]T, string) {
	sortByID(items, id)
	start := 0
	if pg.after != "" {
		for start < len(items) && id(items[start]) <= pg.after {
			start++
		}
	}
	items = items[start:]
	if pg.max == 0 || len(items) <= pg.max {
		return items, ""
	}
	items = items[:pg.max]
	last := id(items[len(items)-1])
	return items, base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + last))
}
