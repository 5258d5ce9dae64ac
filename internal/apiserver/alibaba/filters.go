package alibaba

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// filterItem is a filter as ListTrafficMirrorFilters shows it.
type filterItem struct {
	TrafficMirrorFilterId          string     `json:"TrafficMirrorFilterId"`
	TrafficMirrorFilterName        string     `json:"TrafficMirrorFilterName"`
	TrafficMirrorFilterDescription string     `json:"TrafficMirrorFilterDescription"`
	TrafficMirrorFilterStatus      string     `json:"TrafficMirrorFilterStatus"`
	CreationTime                   string     `json:"CreationTime"`
	ResourceGroupId                string     `json:"ResourceGroupId"`
	Tags                           []tag      `json:"Tags"`
	IngressRules                   []ruleItem `json:"IngressRules"`
	EgressRules                    []ruleItem `json:"EgressRules"`
}

// timeFormat is Alibaba's CreationTime format (2023-09-05T15:26Z).
const timeFormat = "2006-01-02T15:04Z"

// checkName refuses a name or description Alibaba refuses: longer than
// max, or starting with http:// or https://.
func checkName(param string, v *string, max int) error {
	if v == nil {
		return nil
	}
	if len(*v) == 0 || len(*v) > max || strings.HasPrefix(*v, "http://") || strings.HasPrefix(*v, "https://") {
		return errInvalid(param, *v, "It must be 1 to "+itoa(max)+" characters and must not start with http:// or https://.")
	}
	return nil
}

// requireOpen refuses a change while traffic mirroring is not opened.
func requireOpen(a *account) error {
	if !a.open {
		return errorf(codeServiceNotOpen, "Traffic mirroring is not opened for this account; call OpenTrafficMirrorService first.")
	}
	return nil
}

// create runs a Create operation's change in one mutation of an account
// whose mirroring is open; m is the new resource's meta: created now,
// with the request's Tag.N and ResourceGroupId.
func (c *call) create(change func(a *account, now time.Time, m meta) (any, error)) (any, error) {
	tags := c.in.tags("Tag")
	rg, _ := c.p.str("ResourceGroupId")
	return c.mutate(func(a *account, now time.Time) (any, error) {
		if err := requireOpen(a); err != nil {
			return nil, err
		}
		return change(a, now, meta{Created: now, Tags: tags, RG: rg})
	})
}

// settledFilter returns a filter that exists and is Created.
func (c *call) settledFilter(a *account, id string, now time.Time) (*cloudmock.TrafficMirrorFilter, error) {
	f, err := settled(a, a.spec.TrafficMirrorFilters, func(f **cloudmock.TrafficMirrorFilter) string { return (*f).TrafficMirrorFilterId }, id, now,
		settledKind{codeFilterNotFound, codeFilterStatus, "traffic mirror filter", "filter"})
	if err != nil {
		return nil, err
	}
	return *f, nil
}

// changeSettled changes resource id in one mutation (change), once find
// has found it Created.
func changeSettled[T any](c *call, id string, find func(*account, string, time.Time) (*T, error), change func(*account, *T, time.Time) (any, error)) (any, error) {
	return c.mutate(func(a *account, now time.Time) (any, error) {
		x, err := find(a, id, now)
		if err != nil {
			return nil, err
		}
		return change(a, x, now)
	})
}

// settledKind is how the answers about one kind of resource name it.
type settledKind struct {
	notFound, status string // the codes of the answers
	name, statusName string // the kind in their messages
}

// settled returns the element of list whose id (idOf) is id, when it
// exists and is Created.
func settled[T any](a *account, list []T, idOf func(*T) string, id string, now time.Time, k settledKind) (*T, error) {
	i := slices.IndexFunc(list, func(x T) bool { return idOf(&x) == id })
	if i < 0 {
		return nil, notFound(k.notFound, k.name, id)
	}
	if st := a.meta[id].status(now); st != statusCreated {
		return nil, errStatus(k.status, k.statusName, id, st)
	}
	return &list[i], nil
}

type createFilterResult struct {
	TrafficMirrorFilterId string `json:"TrafficMirrorFilterId"`
	ResourceGroupId       string `json:"ResourceGroupId"`
}

func opCreateFilter(c *call) (any, error) {
	name, desc := c.p.opt("TrafficMirrorFilterName"), c.p.opt("TrafficMirrorFilterDescription")
	if err := errors.Join(checkName("TrafficMirrorFilterName", name, 128), checkName("TrafficMirrorFilterDescription", desc, 256)); err != nil {
		return nil, asAPIError(err)
	}
	return c.create(func(a *account, now time.Time, m meta) (any, error) {
		f := &cloudmock.TrafficMirrorFilter{TrafficMirrorFilterId: c.s.newID(a, "tmf"), Description: deref(desc)}
		rules, err := c.newRules(a, now)
		if err != nil {
			return nil, err
		}
		f.IngressFilterRules, f.EgressFilterRules = rules[0], rules[1]
		a.spec.TrafficMirrorFilters = append(a.spec.TrafficMirrorFilters, f)
		m.Name = deref(name)
		a.meta[f.TrafficMirrorFilterId] = c.s.busy(m, statusCreating, now)
		return createFilterResult{TrafficMirrorFilterId: f.TrafficMirrorFilterId, ResourceGroupId: m.RG}, nil
	})
}

func opDeleteFilter(c *call) (any, error) {
	id := c.in.required("TrafficMirrorFilterId")
	res, err := changeSettled(c, id, c.settledFilter, func(a *account, f *cloudmock.TrafficMirrorFilter, now time.Time) (any, error) {
		item := filterItemOf(a, f, now)
		item.TrafficMirrorFilterStatus = statusDeleting
		for _, rules := range [2][]ruleItem{item.IngressRules, item.EgressRules} {
			for i := range rules {
				rules[i].TrafficMirrorFilterRuleStatus = statusDeleting
				delete(a.meta, rules[i].TrafficMirrorFilterRuleId)
			}
		}
		a.spec.TrafficMirrorFilters = slices.DeleteFunc(a.spec.TrafficMirrorFilters, func(f *cloudmock.TrafficMirrorFilter) bool { return f.TrafficMirrorFilterId == id })
		delete(a.meta, id)
		a.ghosts = append(a.ghosts, ghost{Kind: "filter", ID: id, Until: now.Add(c.s.settle), Filt: &item})
		return struct{}{}, nil
	})
	return res, inUse(err, id)
}

// inUse turns the model's refusal of a session whose filter is gone into
// Alibaba's answer to deleting a filter in use.
func inUse(err error, id string) error {
	var ae *apiError
	if errors.As(err, &ae) && ae.Cause != nil && ae.Cause.Code == codes.FilterNotFound && ae.Cause.Resource == "TrafficMirrorSession" {
		return errorf(codeFilterInUse, "The filter %q is used by the traffic mirror session %q.", id, ae.Cause.ID)
	}
	return err
}

func opUpdateFilter(c *call) (any, error) {
	id := c.in.required("TrafficMirrorFilterId")
	name, desc := c.p.opt("TrafficMirrorFilterName"), c.p.opt("TrafficMirrorFilterDescription")
	if err := errors.Join(checkName("TrafficMirrorFilterName", name, 128), checkName("TrafficMirrorFilterDescription", desc, 256)); c.in.ok() && err != nil {
		return nil, asAPIError(err)
	}
	return changeSettled(c, id, c.settledFilter, func(a *account, f *cloudmock.TrafficMirrorFilter, now time.Time) (any, error) {
		m := a.meta[id]
		if name != nil {
			m.Name = *name
		}
		if desc != nil {
			f.Description = *desc
		}
		a.meta[id] = c.s.busy(m, statusModifying, now)
		return struct{}{}, nil
	})
}

// filterItemOf renders a filter with its rules and their statuses, and the
// rules still Deleting.
func filterItemOf(a *account, f *cloudmock.TrafficMirrorFilter, now time.Time) filterItem {
	m := a.meta[f.TrafficMirrorFilterId]
	item := filterItem{TrafficMirrorFilterId: f.TrafficMirrorFilterId, TrafficMirrorFilterName: m.Name,
		TrafficMirrorFilterDescription: f.Description, TrafficMirrorFilterStatus: m.status(now),
		CreationTime: m.Created.UTC().Format(timeFormat), ResourceGroupId: m.RG, Tags: append([]tag{}, m.Tags...),
		IngressRules: []ruleItem{}, EgressRules: []ruleItem{}}
	for d, rules := range [2][]cloudmock.TrafficMirrorFilterRule{f.IngressFilterRules, f.EgressFilterRules} {
		list := &item.IngressRules
		if d == 1 {
			list = &item.EgressRules
		}
		for _, r := range rules {
			*list = append(*list, ruleItemOf(f.TrafficMirrorFilterId, d, r, a.meta[r.TrafficMirrorFilterRuleId].status(now)))
		}
		for _, g := range a.ghosts {
			if g.Kind == "rule" && g.Filter == f.TrafficMirrorFilterId && now.Before(g.Until) && g.Rule.TrafficDirection == directions[d] {
				*list = append(*list, *g.Rule)
			}
		}
	}
	return item
}

type listFiltersResult struct {
	TrafficMirrorFilters []filterItem `json:"TrafficMirrorFilters"`
	page
}

func opListFilters(c *call) (any, error) {
	ids := c.in.list("TrafficMirrorFilterIds")
	tags := c.in.tags("Tags")
	name := c.p.opt("TrafficMirrorFilterName")
	rg := c.p.opt("ResourceGroupId")
	pg := c.paging()
	return c.read(func(a *account, now time.Time) (any, error) {
		items := withGhosts(a, now, a.spec.TrafficMirrorFilters, func(a *account, f **cloudmock.TrafficMirrorFilter, now time.Time) filterItem {
			return filterItemOf(a, *f, now)
		}, "filter", func(g ghost) filterItem { return *g.Filt })
		items = slices.DeleteFunc(items, func(f filterItem) bool {
			return (len(ids) > 0 && !slices.Contains(ids, f.TrafficMirrorFilterId)) || (name != nil && f.TrafficMirrorFilterName != *name) ||
				(rg != nil && f.ResourceGroupId != *rg) || !hasTags(f.Tags, tags)
		})
		out, pageInfo := paginate(items, pg, func(f filterItem) string { return f.TrafficMirrorFilterId })
		return listFiltersResult{TrafficMirrorFilters: out, page: pageInfo}, nil
	})
}

// hasTags says whether a resource has every wanted tag (an empty Value
// matches any value).
func hasTags(have, want []tag) bool {
	for _, w := range want {
		if !slices.ContainsFunc(have, func(h tag) bool { return h.Key == w.Key && (w.Value == "" || h.Value == w.Value) }) {
			return false
		}
	}
	return true
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
