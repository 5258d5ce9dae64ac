package ec2api

// register builds the dispatch tables. Each file of actions has one
// register function that adds its actions to a service's table; adding a
// file of actions means adding its call here (and nothing else).
func (s *Server) register() {
	ec2 := s.addService("EC2", ec2Version, ec2Namespace, styleEC2)
	s.registerTrafficMirrorFilters(ec2)
	s.registerTrafficMirrorFilterRules(ec2)
	s.registerTrafficMirrorTargets(ec2)
	s.registerTrafficMirrorSessions(ec2)
	s.registerVpcs(ec2)
	s.registerVpcChanges(ec2)
	s.registerSubnetChanges(ec2)
	s.registerCidrAssociations(ec2)
	s.registerVpcPeeringConnections(ec2)
	s.registerTransitGateways(ec2)
	s.registerRouteTableChanges(ec2)
	s.registerNetworkInterfaces(ec2)
	s.registerInstances(ec2)
	s.registerSecurityGroups(ec2)
	s.registerSecurityGroupChanges(ec2)
	s.registerNetworkAcls(ec2)
	s.registerNetworkAclChanges(ec2)
	s.registerTagging(ec2)
	s.registerVpcEndpoints(ec2)
	s.registerELBv2()
	s.registerAccount(ec2) // after registerELBv2: it adds to ELBv2's table
}
