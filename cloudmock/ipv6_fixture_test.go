package cloudmock

// dualStack gives the walk-through's VPC the IPv6 block 2001:db8:0:100::/56
// (documentation space), a /64 per subnet (public ::100, adapter ::101, test
// ::102), and each ENI an IPv6 address whose last group echoes its IPv4
// one; the security groups and the adapter's ACL get the IPv6 twins of
// their IPv4 rules.
func dualStack(s *Spec) {
	s.Vpcs[0].Ipv6CidrBlock = "2001:db8:0:100::/56"
	for i, n := range []string{"100", "101", "102"} {
		s.Subnets[i].Ipv6CidrBlock = "2001:db8:0:" + n + "::/64"
	}
	for i, a := range []string{"2001:db8:0:100::5", "2001:db8:0:101::20", "2001:db8:0:102::36"} {
		s.NetworkInterfaces[i].Ipv6Address = a
	}
	s.SecurityGroups[0].IpPermissions[0].Ipv6Ranges = []Ipv6Range{{CidrIpv6: "::/0"}}
	s.SecurityGroups[0].IpPermissionsEgress[0].Ipv6Ranges = []Ipv6Range{{CidrIpv6: "::/0"}}
	s.SecurityGroups[1].IpPermissionsEgress[0].Ipv6Ranges = []Ipv6Range{{CidrIpv6: "::/0"}}
	acl := &s.NetworkAcls[0]
	acl.Entries = append(acl.Entries,
		NetworkAclEntry{RuleNumber: 110, Protocol: "udp", RuleAction: "allow", Ipv6CidrBlock: "2001:db8:0:100::/64", PortRange: &PortRange{From: 4789, To: 4789}},
		NetworkAclEntry{RuleNumber: 110, Egress: true, Protocol: "-1", RuleAction: "allow", Ipv6CidrBlock: "::/0"})
}

// primaryIPv6 marks the source (eni-web) and target (eni-adapter) ENIs'
// IPv6 addresses primary, so the walk-through's copies travel over IPv6
// (after dualStack).
func primaryIPv6(s *Spec) {
	s.NetworkInterfaces[0].EnablePrimaryIpv6 = true
	s.NetworkInterfaces[1].EnablePrimaryIpv6 = true
}
