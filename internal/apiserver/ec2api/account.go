package ec2api

// registerAccount adds what a new account reads before it builds: its
// zones, the image and instance type catalogues and the VPCs' main route
// tables (EC2), the attributes of its load balancers and target groups
// (ELBv2, whose table registerELBv2 made) and its identity (STS).
func (s *Server) registerAccount(ec2 map[string]actionFunc) {
	ec2["DescribeAvailabilityZones"] = s.describeAvailabilityZones
	ec2["DescribeImages"] = s.describeImages
	ec2["DescribeInstanceTypes"] = s.describeInstanceTypes
	ec2["DescribeInstanceTypeOfferings"] = s.describeInstanceTypeOfferings
	ec2["DescribeRouteTables"] = s.describeRouteTables
	elb := s.services[elbVersion].actions
	elb["DescribeLoadBalancerAttributes"] = s.attrsAction(false, false)
	elb["ModifyLoadBalancerAttributes"] = s.attrsAction(false, true)
	elb["DescribeTargetGroupAttributes"] = s.attrsAction(true, false)
	elb["ModifyTargetGroupAttributes"] = s.attrsAction(true, true)
	s.registerSTS()
}
