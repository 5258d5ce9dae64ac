package ec2api

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// The region's zones. A new account sees its region's availability zones
// (opt-in-not-required) and, with AllAvailabilityZones, the Local Zones it
// has not opted in to. Zone ids follow EC2's shape (use1-az1); which id a
// zone name maps to varies by account on AWS, here it is fixed.

// zoneCounts is how many availability zones a region has; a region not
// listed has three.
var zoneCounts = map[string]int{"us-east-1": 6, "us-west-2": 4, "us-west-1": 2, "ap-northeast-1": 3}

// localZones are a region's Local Zones (opt-in), by parent region.
var localZones = map[string][]string{"us-east-1": {"us-east-1-bos-1a"}, "us-west-2": {"us-west-2-lax-1a"}}

// zoneInfo is one zone as DescribeAvailabilityZones answers it.
type zoneInfo struct {
	ZoneName           string `xml:"zoneName"`
	ZoneId             string `xml:"zoneId"`
	State              string `xml:"zoneState"`
	OptInStatus        string `xml:"optInStatus"`
	RegionName         string `xml:"regionName"`
	GroupName          string `xml:"groupName"`
	NetworkBorderGroup string `xml:"networkBorderGroup"`
	ZoneType           string `xml:"zoneType"`
	Messages           []struct {
		Message string `xml:"message"`
	} `xml:"messageSet>item"`
}

// regionCode is a region's short form in zone ids: us-east-1 -> use1.
func regionCode(region string) string {
	parts := strings.Split(region, "-")
	if len(parts) != 3 || parts[1] == "" {
		return region
	}
	return parts[0] + parts[1][:1] + parts[2]
}

// regionZones lists the region's zones: its availability zones in name
// order, then its Local Zones.
func regionZones(region string) []zoneInfo {
	n := zoneCounts[region]
	if n == 0 {
		n = 3
	}
	var out []zoneInfo
	for i := range n {
		out = append(out, zoneInfo{
			ZoneName: region + string(rune('a'+i)), ZoneId: fmt.Sprintf("%s-az%d", regionCode(region), i+1),
			State: "available", OptInStatus: "opt-in-not-required", RegionName: region,
			GroupName: region, NetworkBorderGroup: region, ZoneType: "availability-zone",
		})
	}
	for _, lz := range localZones[region] {
		group := strings.TrimSuffix(lz, lz[len(lz)-1:])
		city := strings.TrimPrefix(group, region+"-")
		out = append(out, zoneInfo{
			ZoneName: lz, ZoneId: fmt.Sprintf("%s-%s-az1", regionCode(region), strings.ReplaceAll(city, "-", "")),
			State: "available", OptInStatus: "not-opted-in", RegionName: region,
			GroupName: group, NetworkBorderGroup: group, ZoneType: "local-zone",
		})
	}
	return out
}

// availabilityZones are the region's availability zones (no Local Zones).
func availabilityZones(region string) []zoneInfo {
	return slices.DeleteFunc(regionZones(region), func(z zoneInfo) bool { return z.ZoneType != "availability-zone" })
}

func (s *Server) zoneFilters() filterFields[zoneInfo] {
	type Z = zoneInfo
	return filterFields[Z]{
		"group-name":           func(z Z) []string { return one(z.GroupName) },
		"message":              func(Z) []string { return nil },
		"network-border-group": func(z Z) []string { return one(z.NetworkBorderGroup) },
		"opt-in-status":        func(z Z) []string { return one(z.OptInStatus) },
		"region-name":          func(z Z) []string { return one(z.RegionName) },
		"state":                func(z Z) []string { return one(z.State) },
		"zone-id":              func(z Z) []string { return one(z.ZoneId) },
		"zone-name":            func(z Z) []string { return one(z.ZoneName) },
		"zone-type":            func(z Z) []string { return one(z.ZoneType) },
	}
}

type describeZonesResult struct {
	Zones []zoneInfo `xml:"availabilityZoneInfo>item"`
}

// describeAvailabilityZones answers the region's zones: those named by
// ZoneName.N and ZoneId.N (an unknown one is InvalidParameterValue, as
// EC2 answers), else the opted-in ones, or all with AllAvailabilityZones;
// then filtered. EC2 does not paginate it.
func (s *Server) describeAvailabilityZones(c *call) (any, error) {
	names := c.p.list("ZoneName")
	ids := c.p.list("ZoneId")
	all := c.p.bool("AllAvailabilityZones")
	fs := c.p.filters()
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.read(func(*cloudmock.Spec, tagStore) (any, error) { return s.findZones(names, ids, all, fs) })
}

func (s *Server) findZones(names, ids []string, all bool, fs []Filter) (any, error) {
	zones := regionZones(s.cfg.Region)
	for _, want := range [2][]string{names, ids} {
		for _, z := range want {
			if !slices.ContainsFunc(zones, func(x zoneInfo) bool { return x.ZoneName == z || x.ZoneId == z }) {
				return nil, errorf("InvalidParameterValue", "Invalid availability zone: [%s]", z)
			}
		}
	}
	var items []zoneInfo
	for _, z := range zones {
		named := slices.Contains(names, z.ZoneName) || slices.Contains(ids, z.ZoneId)
		if named || (len(names) == 0 && len(ids) == 0 && (all || z.OptInStatus != "not-opted-in")) {
			items = append(items, z)
		}
	}
	items, err := applyFilters(items, fs, s.zoneFilters(), func(z zoneInfo) string { return z.ZoneName }, tagStore{})
	if err != nil {
		return nil, err
	}
	return describeZonesResult{Zones: items}, nil
}
