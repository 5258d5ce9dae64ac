package ec2api

import (
	"slices"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// describeQuery is what a Describe action reads before it looks at the
// state: the ids it names (X.N), its Filter.N and its page.
type describeQuery struct {
	ids []string
	fs  []Filter
	pg  pager
}

// readDescribe reads idParam.N, Filter.N and MaxResults/NextToken (5 to
// 1000 per page), then DryRun and the unknown parameters (c.begin).
func (c *call) readDescribe(idParam string) (describeQuery, error) {
	return c.readDescribePage(idParam, 1000)
}

// readDescribePage is readDescribe for an action that pages 5 to maxPage
// items, names no ids (idParam "") or reads the boolean parameters flags
// (which it accepts and ignores) after the page and before c.begin.
func (c *call) readDescribePage(idParam string, maxPage int, flags ...string) (describeQuery, error) {
	var q describeQuery
	if idParam != "" {
		q.ids = c.p.list(idParam)
	}
	q.fs = c.p.filters()
	q.pg = c.p.paging(5, maxPage)
	for _, f := range flags {
		c.p.bool(f)
	}
	return q, c.begin()
}

// describeByID serves a Describe action over one list of the Spec: it
// reads idParam.N, Filter.N and the page (readDescribe), then answers the
// items of list picked by id (pickByID, missing(id) for an unknown one;
// list also gives the filters), each shown by xml, as the set element
// set.
func describeByID[T any](c *call, idParam, set string, missing func(string) error, id func(*T) string,
	list func(*cloudmock.Spec) ([]T, filterFields[*T]), xml func(*cloudmock.Spec, *T, tagStore) xres) (any, error) {
	return describeFound(c, idParam, set, missing, id, nil, list, xml)
}

// describeFound is describeByID for a list whose ids find looks up (the
// index cache of filters and targets) instead of a walk; nil walks.
func describeFound[T any](c *call, idParam, set string, missing func(string) error, id func(*T) string,
	find func(*cloudmock.Spec, string) int,
	list func(*cloudmock.Spec) ([]T, filterFields[*T]), xml func(*cloudmock.Spec, *T, tagStore) xres) (any, error) {
	q, err := c.readDescribe(idParam)
	if err != nil {
		return nil, err
	}
	return c.read(func(spec *cloudmock.Spec, tags tagStore) (any, error) {
		all, fields := list(spec)
		var found func(string) int
		if find != nil {
			found = func(id string) int { return find(spec, id) }
		}
		items, next, err := pickByID(q, all, found, missing, fields, id, tags)
		if err != nil {
			return nil, err
		}
		out := listResult{set: set, next: next}
		for _, x := range items {
			out.items = append(out.items, xml(spec, x, tags))
		}
		return out, nil
	})
}

// pickByID answers a Describe: the items of all named by q.ids, each once
// (every item when none is named; the first unknown id answers
// missing(id)), then filtered by q.fs, sorted by id and cut to q's page.
// find is the index in all of an id; nil finds it by id. It returns the
// page and the next token.
func pickByID[T any](q describeQuery, all []T, find func(string) int, missing func(string) error,
	fields filterFields[*T], id func(*T) string, tags tagStore) ([]*T, string, error) {
	if find == nil {
		find = func(want string) int { return indexByID(all, want, id) }
	}
	var items []*T
	for k, want := range q.ids {
		i := find(want)
		if i < 0 {
			return nil, "", missing(want)
		}
		if !slices.Contains(q.ids[:k], want) {
			items = append(items, &all[i])
		}
	}
	if len(q.ids) == 0 {
		for i := range all {
			items = append(items, &all[i])
		}
	}
	items, next, err := filterPage(items, q.fs, q.pg, fields, id, tags)
	if err != nil {
		return nil, "", err
	}
	return items, next, nil
}
