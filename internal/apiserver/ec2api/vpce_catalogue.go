package ec2api

import (
	"slices"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// DescribeVpcEndpointServices: the services an endpoint may connect to,
// as a consumer sees them. The lab runs no AWS service (no S3, no
// DynamoDB), so the account's own Gateway Load Balancer endpoint services
// are all there is.

type xmlServiceDetail struct {
	ServiceName                string           `xml:"serviceName"`
	ServiceId                  string           `xml:"serviceId"`
	ServiceType                []xmlServiceType `xml:"serviceType>item"`
	AvailabilityZones          []string         `xml:"availabilityZoneSet>item"`
	Owner                      string           `xml:"owner"`
	BaseEndpointDnsNames       []string         `xml:"baseEndpointDnsNameSet>item"`
	VpcEndpointPolicySupported bool             `xml:"vpcEndpointPolicySupported"`
	AcceptanceRequired         bool             `xml:"acceptanceRequired"`
	ManagesVpcEndpoints        bool             `xml:"managesVpcEndpoints"`
	SupportedIpAddressTypes    []string         `xml:"supportedIpAddressTypeSet>item"`
	Tags                       []tag            `xml:"tagSet>item"`
}

type describeServiceDetailsResult struct {
	ServiceNames   []string           `xml:"serviceNameSet>item"`
	ServiceDetails []xmlServiceDetail `xml:"serviceDetailSet>item"`
	NextToken      string             `xml:"nextToken,omitempty"`
}

func (s *Server) describeVpcEndpointCatalogue(c *call) (any, error) {
	q, err := c.readDescribe("ServiceName")
	if err != nil {
		return nil, err
	}
	return c.read(func(spec *cloudmock.Spec, tags tagStore) (any, error) {
		var all []*xmlServiceDetail
		for i := range spec.VpcEndpointServices {
			x := &spec.VpcEndpointServices[i]
			all = append(all, &xmlServiceDetail{ServiceName: s.serviceName(x.ServiceId), ServiceId: x.ServiceId,
				ServiceType: []xmlServiceType{{"GatewayLoadBalancer"}}, AvailabilityZones: s.serviceZones(spec, x), Owner: s.cfg.AccountID,
				BaseEndpointDnsNames: s.serviceDNSNames(x), AcceptanceRequired: x.AcceptanceRequired, SupportedIpAddressTypes: []string{"ipv4"},
				Tags: tags.xml(x.ServiceId)})
		}
		for _, n := range q.ids {
			if !slices.ContainsFunc(all, func(x *xmlServiceDetail) bool { return x.ServiceName == n }) {
				return nil, errorf("InvalidServiceName", "The Vpc Endpoint Service '%s' does not exist", n)
			}
		}
		if len(q.ids) > 0 {
			all = slices.DeleteFunc(all, func(x *xmlServiceDetail) bool { return !slices.Contains(q.ids, x.ServiceName) })
		}
		type X = *xmlServiceDetail
		fields := filterFields[X]{
			"service-name":               func(x X) []string { return one(x.ServiceName) },
			"service-type":               func(x X) []string { return one("GatewayLoadBalancer") },
			"owner":                      func(x X) []string { return one(x.Owner) },
			"supported-ip-address-types": func(X) []string { return one("ipv4") },
		}
		key := func(x X) string { return x.ServiceName }
		all, err := applyFilters(all, q.fs, fields, func(x X) string { return x.ServiceId }, tags)
		if err != nil {
			return nil, err
		}
		all, next := page(q.pg, all, key)
		out := describeServiceDetailsResult{NextToken: next}
		for _, x := range all {
			out.ServiceNames = append(out.ServiceNames, x.ServiceName)
			out.ServiceDetails = append(out.ServiceDetails, *x)
		}
		return out, nil
	})
}
