package ec2api

// register builds the dispatch tables: the actions of each API this
// server speaks (selected by Version), by the file that serves them.
// Adding an action means adding its line here.
func (s *Server) register() {
	s.addService("EC2", ec2Version, ec2Namespace, styleEC2, s.mirrorActions(), s.networkActions(), s.instanceActions())
	s.addService("ELBv2", elbVersion, elbNamespace, styleQuery, s.elbActions())
	s.addService("STS", stsVersion, stsNamespace, styleQuery, map[string]actionFunc{"GetCallerIdentity": s.getCallerIdentity})
}

// mirrorActions returns the traffic mirroring actions (EC2).
func (s *Server) mirrorActions() map[string]actionFunc {
	return map[string]actionFunc{
		// tm_filters.go
		"CreateTrafficMirrorFilter":                s.createTrafficMirrorFilter,
		"DeleteTrafficMirrorFilter":                s.deleteTrafficMirrorFilter,
		"DescribeTrafficMirrorFilters":             s.describeTrafficMirrorFilters,
		"ModifyTrafficMirrorFilterNetworkServices": s.modifyTrafficMirrorFilterNetworkServices,
		// tm_rules.go
		"CreateTrafficMirrorFilterRule":    s.createTrafficMirrorFilterRule,
		"DeleteTrafficMirrorFilterRule":    s.deleteTrafficMirrorFilterRule,
		"ModifyTrafficMirrorFilterRule":    s.modifyTrafficMirrorFilterRule,
		"DescribeTrafficMirrorFilterRules": s.describeTrafficMirrorFilterRules,
		// tm_targets.go
		"CreateTrafficMirrorTarget":    s.createTrafficMirrorTarget,
		"DeleteTrafficMirrorTarget":    s.deleteTrafficMirrorTarget,
		"DescribeTrafficMirrorTargets": s.describeTrafficMirrorTargets,
		// tm_sessions.go
		"CreateTrafficMirrorSession":    s.createTrafficMirrorSession,
		"DeleteTrafficMirrorSession":    s.deleteTrafficMirrorSession,
		"ModifyTrafficMirrorSession":    s.modifyTrafficMirrorSession,
		"DescribeTrafficMirrorSessions": s.describeTrafficMirrorSessions,
	}
}

// networkActions returns the actions that build a network (EC2).
func (s *Server) networkActions() map[string]actionFunc {
	return map[string]actionFunc{
		// vpcs.go
		"DescribeVpcs":    s.describeVpcs,
		"DescribeSubnets": s.describeSubnets,
		// vpcs_create.go
		"CreateVpc":            s.createVpc,
		"DeleteVpc":            s.deleteVpc,
		"DescribeVpcAttribute": s.describeVpcAttribute,
		"ModifyVpcAttribute":   s.modifyVpcAttribute,
		// subnets_create.go
		"CreateSubnet":          s.createSubnet,
		"DeleteSubnet":          s.deleteSubnet,
		"ModifySubnetAttribute": s.modifySubnetAttribute,
		// cidr_assoc.go
		"AssociateVpcCidrBlock":       s.associateVpcCidrBlock,
		"DisassociateVpcCidrBlock":    s.disassociateVpcCidrBlock,
		"AssociateSubnetCidrBlock":    s.associateSubnetCidrBlock,
		"DisassociateSubnetCidrBlock": s.disassociateSubnetCidrBlock,
		// peerings.go
		"CreateVpcPeeringConnection":    s.createVpcPeeringConnection,
		"AcceptVpcPeeringConnection":    s.acceptVpcPeeringConnection,
		"RejectVpcPeeringConnection":    s.rejectVpcPeeringConnection,
		"DeleteVpcPeeringConnection":    s.deleteVpcPeeringConnection,
		"DescribeVpcPeeringConnections": s.describeVpcPeeringConnections,
		// tgws.go
		"CreateTransitGateway":                    s.createTransitGateway,
		"DeleteTransitGateway":                    s.deleteTransitGateway,
		"DescribeTransitGateways":                 s.describeTransitGateways,
		"CreateTransitGatewayVpcAttachment":       s.createTransitGatewayVpcAttachment,
		"DeleteTransitGatewayVpcAttachment":       s.deleteTransitGatewayVpcAttachment,
		"DescribeTransitGatewayVpcAttachments":    s.describeTransitGatewayVpcAttachments,
		"GetTransitGatewayRouteTableAssociations": s.getTransitGatewayRouteTableEntries(false),
		"GetTransitGatewayRouteTablePropagations": s.getTransitGatewayRouteTableEntries(true),
		// routetables_change.go
		"CreateRouteTable":             s.createRouteTable,
		"DeleteRouteTable":             s.deleteRouteTable,
		"AssociateRouteTable":          s.associateRouteTable,
		"DisassociateRouteTable":       s.disassociateRouteTable,
		"ReplaceRouteTableAssociation": s.replaceRouteTableAssociation,
		"CreateRoute":                  s.changeRoute(routeCreate),
		"ReplaceRoute":                 s.changeRoute(routeReplace),
		"DeleteRoute":                  s.changeRoute(routeDelete),
		// nacls.go
		"DescribeNetworkAcls":    s.describeNetworkAcls,
		"CreateNetworkAclEntry":  s.changeACLEntry(aclCreate),
		"ReplaceNetworkAclEntry": s.changeACLEntry(aclReplace),
		"DeleteNetworkAclEntry":  s.changeACLEntry(aclDelete),
		// nacls_create.go
		"CreateNetworkAcl":             s.createNetworkAcl,
		"DeleteNetworkAcl":             s.deleteNetworkAcl,
		"ReplaceNetworkAclAssociation": s.replaceNetworkAclAssociation,
		// sgs.go
		"DescribeSecurityGroups":        s.describeSecurityGroups,
		"AuthorizeSecurityGroupIngress": s.changeRules(false, true),
		"AuthorizeSecurityGroupEgress":  s.changeRules(true, true),
		"RevokeSecurityGroupIngress":    s.changeRules(false, false),
		"RevokeSecurityGroupEgress":     s.changeRules(true, false),
		// sgs_create.go
		"CreateSecurityGroup":        s.createSecurityGroup,
		"DeleteSecurityGroup":        s.deleteSecurityGroup,
		"DescribeSecurityGroupRules": s.describeSecurityGroupRules,
	}
}

// instanceActions returns the actions on instances, interfaces, endpoints and tags, and the catalogues an account reads (EC2).
func (s *Server) instanceActions() map[string]actionFunc {
	return map[string]actionFunc{
		// enis.go
		"DescribeNetworkInterfaces": s.describeNetworkInterfaces,
		// enis_change.go
		"CreateNetworkInterface":          s.createNetworkInterface,
		"DeleteNetworkInterface":          s.deleteNetworkInterface,
		"AttachNetworkInterface":          s.attachNetworkInterface,
		"DetachNetworkInterface":          s.detachNetworkInterface,
		"ModifyNetworkInterfaceAttribute": s.modifyNetworkInterfaceAttribute,
		// instances_run.go
		"DescribeInstances":                    s.describeInstances,
		"RunInstances":                         s.runInstances,
		"TerminateInstances":                   s.terminateInstances,
		"StopInstances":                        s.stopInstances,
		"StartInstances":                       s.startInstances,
		"DescribeInstanceAttribute":            s.describeInstanceAttribute,
		"ModifyInstanceAttribute":              s.modifyInstanceAttribute,
		"DescribeInstanceCreditSpecifications": s.describeInstanceCreditSpecifications,
		"DescribeInstanceStatus":               s.describeInstanceStatus,
		"GetConsoleOutput":                     s.getConsoleOutput,
		"DescribeVolumes":                      s.describeVolumes,
		"ModifyInstanceCreditSpecification":    s.modifyInstanceCreditSpecification,
		"ModifyInstanceMetadataOptions":        s.modifyInstanceMetadataOptions,
		"MonitorInstances":                     s.monitorInstances,
		"UnmonitorInstances":                   s.unmonitorInstances,
		// vpce_services.go
		"CreateVpcEndpointServiceConfiguration":    s.createVpcEndpointService,
		"DescribeVpcEndpointServiceConfigurations": s.describeVpcEndpointServices,
		"DeleteVpcEndpointServiceConfigurations":   s.deleteVpcEndpointServices,
		"ModifyVpcEndpointServicePermissions":      s.modifyVpcEndpointServicePermissions,
		"ModifyVpcEndpointServiceConfiguration":    s.modifyVpcEndpointService,
		"DescribeVpcEndpointServicePermissions":    s.describeVpcEndpointServicePermissions,
		"CreateVpcEndpoint":                        s.createVpcEndpoint,
		"DescribeVpcEndpoints":                     s.describeVpcEndpoints,
		"DeleteVpcEndpoints":                       s.deleteVpcEndpoints,
		"DescribePrefixLists":                      s.describePrefixLists,
		"DescribeVpcEndpointServices":              s.describeVpcEndpointCatalogue,
		"AcceptVpcEndpointConnections":             s.endpointConnections(true),
		"RejectVpcEndpointConnections":             s.endpointConnections(false),
		// tagging.go
		"CreateTags":   s.createTags,
		"DeleteTags":   s.deleteTags,
		"DescribeTags": s.describeTags,
		// account.go
		"DescribeAvailabilityZones":     s.describeAvailabilityZones,
		"DescribeImages":                s.describeImages,
		"DescribeInstanceTypes":         s.describeInstanceTypes,
		"DescribeInstanceTypeOfferings": s.describeInstanceTypeOfferings,
		"DescribeRouteTables":           s.describeRouteTables,
	}
}

// elbActions returns the ELBv2 actions (load balancers as mirror targets).
func (s *Server) elbActions() map[string]actionFunc {
	return map[string]actionFunc{
		// elbv2.go
		"DescribeLoadBalancers":       s.describeLoadBalancers,
		"DescribeTargetGroups":        s.describeTargetGroups,
		"DescribeTargetHealth":        s.describeTargetHealth,
		"RegisterTargets":             s.changeTargets(true),
		"DeregisterTargets":           s.changeTargets(false),
		"CreateListener":              s.createListener,
		"DeleteListener":              s.deleteListener,
		"DescribeListeners":           s.describeListeners,
		"CreateLoadBalancer":          s.createLoadBalancer,
		"DeleteLoadBalancer":          s.deleteLoadBalancer,
		"DescribeCapacityReservation": s.describeCapacityReservation,
		// elbv2_tg.go
		"CreateTargetGroup":          s.createTargetGroup,
		"DeleteTargetGroup":          s.deleteTargetGroup,
		"ModifyTargetGroup":          s.modifyTargetGroup,
		"DescribeListenerAttributes": s.listenerAttrs(false),
		"ModifyListenerAttributes":   s.listenerAttrs(true),
		// elbv2_attrs.go
		"DescribeLoadBalancerAttributes": s.attrsAction(false, false),
		"ModifyLoadBalancerAttributes":   s.attrsAction(false, true),
		"DescribeTargetGroupAttributes":  s.attrsAction(true, false),
		"ModifyTargetGroupAttributes":    s.attrsAction(true, true),
		// elbv2_tags.go
		"AddTags":      s.elbTagAction(true),
		"RemoveTags":   s.elbTagAction(false),
		"DescribeTags": s.describeELBTags,
	}
}
