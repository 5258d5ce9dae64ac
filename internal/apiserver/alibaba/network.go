package alibaba

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// numbered is a Describe* answer's PageNumber paging.
type numbered struct {
	PageNumber int `json:"PageNumber"`
	PageSize   int `json:"PageSize"`
	TotalCount int `json:"TotalCount"`
}

// pageNumbered reads PageNumber (default 1) and PageSize (1..max, default
// 10) and returns the page's slice bounds.
func (c *call) pageNumbered(total, max int) (lo, hi int, n numbered, err error) {
	n = numbered{PageNumber: 1, PageSize: 10, TotalCount: total}
	for _, f := range []struct {
		name string
		dst  *int
		hi   int
	}{{"PageNumber", &n.PageNumber, 1 << 20}, {"PageSize", &n.PageSize, max}} {
		v, err := c.p.int(f.name)
		if err != nil {
			return 0, 0, n, err
		}
		if v != nil {
			if *v < 1 || *v > f.hi {
				return 0, 0, n, errInvalid(f.name, strconv.Itoa(*v), "It must be 1 to "+itoa(f.hi)+".")
			}
			*f.dst = *v
		}
	}
	lo = min((n.PageNumber-1)*n.PageSize, total)
	return lo, min(lo+n.PageSize, total), n, nil
}

// numberedPage returns the requested page of items and its paging fields.
func numberedPage[T any](c *call, items []T, max int) ([]T, numbered, error) {
	lo, hi, n, err := c.pageNumbered(len(items), max)
	if err != nil {
		return nil, n, err
	}
	return append([]T{}, items[lo:hi]...), n, nil
}

// idSet reads a parameter that lists ids separated by commas (VpcId,
// LoadBalancerId) or, for JSON-array style, ["a","b"].
func idSet(p *params, name string) []string {
	v, ok := p.str(name)
	if !ok || v == "" {
		return nil
	}
	v = strings.Trim(v, "[]")
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.Trim(strings.TrimSpace(s), `"`); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func matches(want []string, have string) bool { return len(want) == 0 || slices.Contains(want, have) }

func eqOpt(want *string, have string) bool { return want == nil || *want == have }

type vpcItem struct {
	VpcId        string `json:"VpcId"`
	VpcName      string `json:"VpcName"`
	CidrBlock    string `json:"CidrBlock"`
	Status       string `json:"Status"`
	RegionId     string `json:"RegionId"`
	IsDefault    bool   `json:"IsDefault"`
	CreationTime string `json:"CreationTime"`
	VSwitchIds   struct {
		VSwitchId []string `json:"VSwitchId"`
	} `json:"VSwitchIds"`
}

type describeVpcsResult struct {
	Vpcs struct {
		Vpc []vpcItem `json:"Vpc"`
	} `json:"Vpcs"`
	numbered
}

func opDescribeVpcs(c *call) (any, error) {
	ids, name := idSet(c.p, "VpcId"), c.p.opt("VpcName")
	return c.read(func(a *account, _ time.Time) (any, error) {
		var items []vpcItem
		for _, v := range a.spec.Vpcs {
			it := vpcItem{VpcId: v.VpcId, VpcName: c.s.cfg.Names[v.VpcId], CidrBlock: v.CidrBlock, Status: "Available",
				RegionId: c.s.cfg.Region, CreationTime: c.s.started.UTC().Format(time.RFC3339)}
			it.VSwitchIds.VSwitchId = []string{}
			for _, sn := range a.spec.Subnets {
				if sn.VpcId == v.VpcId {
					it.VSwitchIds.VSwitchId = append(it.VSwitchIds.VSwitchId, sn.SubnetId)
				}
			}
			if matches(ids, v.VpcId) && eqOpt(name, it.VpcName) {
				items = append(items, it)
			}
		}
		var res describeVpcsResult
		var err error
		res.Vpcs.Vpc, res.numbered, err = numberedPage(c, items, 50)
		return res, err
	})
}

type vswitchItem struct {
	VSwitchId               string `json:"VSwitchId"`
	VSwitchName             string `json:"VSwitchName"`
	VpcId                   string `json:"VpcId"`
	CidrBlock               string `json:"CidrBlock"`
	ZoneId                  string `json:"ZoneId"`
	Status                  string `json:"Status"`
	AvailableIpAddressCount int64  `json:"AvailableIpAddressCount"`
	NetworkAclId            string `json:"NetworkAclId"`
}

type describeVSwitchesResult struct {
	VSwitches struct {
		VSwitch []vswitchItem `json:"VSwitch"`
	} `json:"VSwitches"`
	numbered
}

func opDescribeVSwitches(c *call) (any, error) {
	vpc, id, name := c.p.opt("VpcId"), c.p.opt("VSwitchId"), c.p.opt("VSwitchName")
	return c.read(func(a *account, _ time.Time) (any, error) {
		var items []vswitchItem
		for _, sn := range a.spec.Subnets {
			it := vswitchItem{VSwitchId: sn.SubnetId, VSwitchName: c.s.cfg.Names[sn.SubnetId], VpcId: sn.VpcId, CidrBlock: sn.CidrBlock,
				ZoneId: c.s.cfg.Region + "-a", Status: "Available", AvailableIpAddressCount: 250}
			for _, acl := range a.spec.NetworkAcls {
				if slices.ContainsFunc(acl.Associations, func(x cloudmock.NetworkAclAssociation) bool { return x.SubnetId == sn.SubnetId }) {
					it.NetworkAclId = acl.NetworkAclId
				}
			}
			if eqOpt(vpc, sn.VpcId) && eqOpt(id, sn.SubnetId) && eqOpt(name, it.VSwitchName) {
				items = append(items, it)
			}
		}
		var res describeVSwitchesResult
		var err error
		res.VSwitches.VSwitch, res.numbered, err = numberedPage(c, items, 50)
		return res, err
	})
}

// vpcOfSubnet returns a subnet's VPC.
func vpcOfSubnet(a *account, subnet string) string {
	for _, sn := range a.spec.Subnets {
		if sn.SubnetId == subnet {
			return sn.VpcId
		}
	}
	return ""
}

type eniItem struct {
	NetworkInterfaceId   string `json:"NetworkInterfaceId"`
	NetworkInterfaceName string `json:"NetworkInterfaceName"`
	VpcId                string `json:"VpcId"`
	VSwitchId            string `json:"VSwitchId"`
	ZoneId               string `json:"ZoneId"`
	PrivateIpAddress     string `json:"PrivateIpAddress"`
	InstanceId           string `json:"InstanceId"`
	Status               string `json:"Status"`
	Type                 string `json:"Type"`
	SecurityGroupIds     struct {
		SecurityGroupId []string `json:"SecurityGroupId"`
	} `json:"SecurityGroupIds"`
	PrivateIpSets struct {
		PrivateIpSet []privateIP `json:"PrivateIpSet"`
	} `json:"PrivateIpSets"`
}

type privateIP struct {
	PrivateIpAddress string `json:"PrivateIpAddress"`
	Primary          bool   `json:"Primary"`
}

type describeENIsResult struct {
	NetworkInterfaceSets struct {
		NetworkInterfaceSet []eniItem `json:"NetworkInterfaceSet"`
	} `json:"NetworkInterfaceSets"`
	NextToken string `json:"NextToken"`
	numbered
}

// eniQuery is DescribeNetworkInterfaces' filters.
type eniQuery struct {
	ids, ips                     []string
	vpc, vsw, ip, inst, name, sg *string
}

func (q eniQuery) match(it eniItem) bool {
	return matches(q.ids, it.NetworkInterfaceId) && matches(q.ips, it.PrivateIpAddress) && eqOpt(q.vpc, it.VpcId) &&
		eqOpt(q.vsw, it.VSwitchId) && eqOpt(q.ip, it.PrivateIpAddress) && eqOpt(q.inst, it.InstanceId) &&
		eqOpt(q.name, it.NetworkInterfaceName) && (q.sg == nil || slices.Contains(it.SecurityGroupIds.SecurityGroupId, *q.sg))
}

// opDescribeENIs is ECS's DescribeNetworkInterfaces (2014-05-26): paged
// by MaxResults (10..500) and NextToken, or by the older PageNumber and
// PageSize (1..1000) when neither is given.
func opDescribeENIs(c *call) (any, error) {
	q := eniQuery{vpc: c.p.opt("VpcId"), vsw: c.p.opt("VSwitchId"), ip: c.p.opt("PrimaryIpAddress"),
		inst: c.p.opt("InstanceId"), name: c.p.opt("NetworkInterfaceName"), sg: c.p.opt("SecurityGroupId")}
	var err error
	q.ids = c.in.list("NetworkInterfaceId")
	q.ips = c.in.list("PrivateIpAddress")
	maxResults := c.in.int("MaxResults")
	token, byToken := c.p.str("NextToken")
	byToken = byToken || maxResults != nil
	return c.read(func(a *account, _ time.Time) (any, error) {
		var items []eniItem
		for _, e := range a.spec.NetworkInterfaces {
			it := eniItem{NetworkInterfaceId: e.NetworkInterfaceId, NetworkInterfaceName: c.s.cfg.Names[e.NetworkInterfaceId],
				VpcId: vpcOfSubnet(a, e.SubnetId), VSwitchId: e.SubnetId, ZoneId: c.s.cfg.Region + "-a",
				PrivateIpAddress: e.PrivateIpAddress, InstanceId: e.InstanceId, Status: "InUse", Type: "Secondary"}
			it.SecurityGroupIds.SecurityGroupId = append([]string{}, e.Groups...)
			it.PrivateIpSets.PrivateIpSet = []privateIP{{PrivateIpAddress: e.PrivateIpAddress, Primary: true}}
			if q.match(it) {
				items = append(items, it)
			}
		}
		var res describeENIsResult
		if byToken {
			n := 10
			if maxResults != nil {
				n = min(max(*maxResults, 10), 500) // as ECS: below 10 is 10, above 500 is 500
			}
			var pg page
			res.NetworkInterfaceSets.NetworkInterfaceSet, pg = paginate(items, paging{max: n, token: token}, func(e eniItem) string { return e.NetworkInterfaceId })
			res.NextToken, res.TotalCount = pg.NextToken, len(items)
			return res, nil
		}
		res.NetworkInterfaceSets.NetworkInterfaceSet, res.numbered, err = numberedPage(c, items, 1000)
		return res, err
	})
}

type lbItem struct {
	LoadBalancerId     string `json:"LoadBalancerId"`
	LoadBalancerName   string `json:"LoadBalancerName"`
	LoadBalancerStatus string `json:"LoadBalancerStatus"`
	Address            string `json:"Address"`
	AddressType        string `json:"AddressType"`
	NetworkType        string `json:"NetworkType"`
	VpcId              string `json:"VpcId"`
	VSwitchId          string `json:"VSwitchId"`
	RegionId           string `json:"RegionId"`
	CreateTime         string `json:"CreateTime"`
}

type describeLBsResult struct {
	LoadBalancers struct {
		LoadBalancer []lbItem `json:"LoadBalancer"`
	} `json:"LoadBalancers"`
	numbered
}

// opDescribeLBs is SLB's DescribeLoadBalancers (2014-05-15): the model's
// network load balancers, as private (intranet) CLB instances.
func opDescribeLBs(c *call) (any, error) {
	ids := idSet(c.p, "LoadBalancerId")
	vpc, vsw, addr := c.p.opt("VpcId"), c.p.opt("VSwitchId"), c.p.opt("Address")
	return c.read(func(a *account, _ time.Time) (any, error) {
		var items []lbItem
		for _, l := range a.spec.LoadBalancers {
			if l.Type == "gateway" {
				continue
			}
			it := lbItem{LoadBalancerId: l.LoadBalancerArn, LoadBalancerName: c.s.cfg.Names[l.LoadBalancerArn], LoadBalancerStatus: "active",
				Address: l.PrivateIpAddress, AddressType: "intranet", NetworkType: "vpc", VpcId: vpcOfSubnet(a, l.SubnetId),
				VSwitchId: l.SubnetId, RegionId: c.s.cfg.Region, CreateTime: c.s.started.UTC().Format(time.RFC3339)}
			if matches(ids, it.LoadBalancerId) && eqOpt(vpc, it.VpcId) && eqOpt(vsw, l.SubnetId) && eqOpt(addr, l.PrivateIpAddress) {
				items = append(items, it)
			}
		}
		var res describeLBsResult
		var err error
		res.LoadBalancers.LoadBalancer, res.numbered, err = numberedPage(c, items, 100)
		return res, err
	})
}
