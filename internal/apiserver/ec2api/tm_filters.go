package ec2api

import (
	"fmt"
	"slices"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// findFilter returns the index of a filter, -1 when there is none.
func findFilter(spec *cloudmock.Spec, id string) int {
	return slices.IndexFunc(spec.TrafficMirrorFilters, func(f *cloudmock.TrafficMirrorFilter) bool { return f.TrafficMirrorFilterId == id })
}

func filterNotFound(id string) error {
	return notFound(codeFilterNotFound, "traffic mirror filter", id)
}

func (s *Server) createTrafficMirrorFilter(c *call) (any, error) {
	desc, _ := c.p.str("Description")
	token, _ := c.p.str("ClientToken")
	tags := c.p.tagSpecs("traffic-mirror-filter")
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.mutateIn(0, token, func(st *state) (any, error) { // the filters through filterW (cow.go)
		f := &cloudmock.TrafficMirrorFilter{TrafficMirrorFilterId: st.newID("tmf"), Description: desc}
		st.appendFilter(f)
		if err := st.tags.set(f.TrafficMirrorFilterId, tags, "TagSpecification"); err != nil {
			return nil, err
		}
		return itemResult{name: "trafficMirrorFilter", item: toXMLFilter(f, st.tags), token: token}, nil
	})
}

type deleteFilterResult struct {
	TrafficMirrorFilterId string `xml:"trafficMirrorFilterId"`
}

func (s *Server) deleteTrafficMirrorFilter(c *call) (any, error) {
	id, err := c.beginWith("TrafficMirrorFilterId")
	if err != nil {
		return nil, err
	}
	res, err := c.mutateIn(0, "", func(st *state) (any, error) {
		i := st.filterIndex(id)
		if i < 0 {
			return nil, filterNotFound(id)
		}
		f := st.spec.TrafficMirrorFilters[i]
		for _, r := range append(slices.Clone(f.IngressFilterRules), f.EgressFilterRules...) {
			st.tags.remove(r.TrafficMirrorFilterRuleId)
		}
		st.tags.remove(id)
		st.removeFilter(i)
		return deleteFilterResult{TrafficMirrorFilterId: id}, nil
	})
	return res, inUse(err, "traffic mirror filter", id)
}

var filterFilters = filterFields[**cloudmock.TrafficMirrorFilter]{
	"description":              func(f **cloudmock.TrafficMirrorFilter) []string { return one((*f).Description) },
	"traffic-mirror-filter-id": func(f **cloudmock.TrafficMirrorFilter) []string { return one((*f).TrafficMirrorFilterId) },
}

func (s *Server) describeTrafficMirrorFilters(c *call) (any, error) {
	type X = *cloudmock.TrafficMirrorFilter
	return describeFound(c, "TrafficMirrorFilterId", "trafficMirrorFilterSet", filterNotFound, func(x *X) string { return (*x).TrafficMirrorFilterId },
		findFilter, func(spec *cloudmock.Spec) ([]X, filterFields[*X]) { return spec.TrafficMirrorFilters, filterFilters },
		func(_ *cloudmock.Spec, x *X, tags tagStore) xres { return toXMLFilter(*x, tags) })
}

func (s *Server) modifyTrafficMirrorFilterNetworkServices(c *call) (any, error) {
	id := c.p.required("TrafficMirrorFilterId")
	add := c.p.list("AddNetworkService")
	remove := c.p.list("RemoveNetworkService")
	// An added service is checked by the model; a removed one cannot be,
	// so it must at least be a service there is.
	for i, ns := range remove {
		if ns != cloudmock.NetworkServiceAmazonDNS {
			return nil, errInvalid(fmt.Sprintf("RemoveNetworkService.%d", i+1), ns, "The only network service is "+cloudmock.NetworkServiceAmazonDNS+".")
		}
	}
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.mutateIn(0, "", func(st *state) (any, error) {
		i := st.filterIndex(id)
		if i < 0 {
			return nil, filterNotFound(id)
		}
		f := st.filterW(i)
		for _, ns := range add {
			if !slices.Contains(f.NetworkServices, ns) {
				f.NetworkServices = append(f.NetworkServices, ns)
			}
		}
		f.NetworkServices = slices.DeleteFunc(f.NetworkServices, func(ns string) bool { return slices.Contains(remove, ns) })
		return itemResult{name: "trafficMirrorFilter", item: toXMLFilter(f, st.tags)}, nil
	})
}
