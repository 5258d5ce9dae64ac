// Package export turns the state of the EC2 API server (internal/apiserver/ec2api)
// back into a scenario file that `mirrorlab validate` accepts, so that what
// a user built with the aws CLI, an SDK or Terraform becomes a CI scenario.
//
// The network and mirror sections come from the state (a cloudmock.Spec with
// AWS ids, and the resources' tags): every resource is named after its Name
// tag, or its id when it has none (or one that is not a valid, unique
// scenario name). What the state does not carry (security group and network
// interface descriptions, VXLAN devices, load balancer health checks) and the
// programs, traffic and expectations are kept from the original scenario,
// with references renamed after renamed resources. Items that name a
// resource the state no longer has (an expectation on a deleted session) are
// dropped, and a comment in the file says which and why.
//
// cloudmock must not import scenarios, so the server takes the converter as
// a function (ec2api.Config.Export), built here by New.
package export
