// Package ec2api serves the EC2 Query API (Version 2016-11-15) over the
// account state of the provider model (cloudmock.Spec), so that the aws
// CLI, the SDKs and Terraform drive the emulated mirror service.
//
// A Server is an http.Handler: form-encoded POST (or GET, for queries
// only) at "/", with
// Action and Version; answers are XML in the namespace
// http://ec2.amazonaws.com/doc/2016-11-15/, errors as EC2 gives them (HTTP
// 400, DryRunOperation 412, server errors 500, body
// <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/>).
// GET /mirrorlab/spec answers the state as JSON ({"Spec":…,"Tags":…}),
// GET /mirrorlab/scenario as a scenario file when Config.Export is set.
//
// Every change follows one path (state.go, mutate): start from the
// published Spec, sharing it but for the lists the action writes (cow.go:
// cloudmock's CloneLists for the lists an action declares, copy on write
// of the filter it touches for the filters, a copy of the list of
// pointers for the targets and sessions; the tags by part, tags.go),
// apply the change, validate the result with the model on what changed
// (cloudmock.Diff or DiffWithin, Change.Validate: it answers
// what the model's whole Validate would; the model's rules are the only
// rules; the server adds none of its own beyond parsing and EC2's length
// limits, limits.go), hand it to Config.Apply synchronously, and publish
// it only when that succeeded; a dry run stops before Apply and answers
// DryRunOperation, so it fails as the real request would. Mutations are
// serialized; a published state is never changed, so queries read it
// without a lock and neither wait for a change nor hold one up. Ids are
// AWS-shaped
// (tmf-/tmfr-/tmt-/tms- + 17 hex digits), VNIs that a request leaves out
// are chosen (random, unique in the account) and stored in the Spec so
// that the model never re-draws them; Config.Seed makes both repeatable.
//
// Building a network (vpcs_create.go, subnets_create.go, sgs_create.go,
// nacls_create.go, routetables_change.go, routes.go, tgws.go,
// tgw_attachments.go): every resource created is stored in the Spec, with
// EC2's defaults where EC2 makes some (a VPC's default ACL, default group
// and main route table; a subnet's association with the default ACL; a
// group's egress rule). A deletion that leaves a reference to the deleted
// resource is the model's finding turned into DependencyViolation
// (dependency); the creation quotas and the /16-/28 block sizes come from
// cloudmock (CheckQuota, CheckNewBlock). Options the model does not
// emulate are refused with UnsupportedOperation naming them.
//
// Security: bodies are capped at MaxBodyBytes (1 MiB); malformed form
// data, unknown actions (InvalidAction), unsupported versions
// (NoSuchVersion) and unknown parameters (UnknownParameter) get an EC2
// error. AWS Signature Version 4 headers (Authorization, X-Amz-Date,
// X-Amz-Security-Token, and the X-Amz-* query parameters of a presigned
// request) are accepted and NOT verified: any credentials work. Serve it
// behind internal/apiserver/httpserve (Host, browser-origin and access-key checks,
// timeouts, a connection cap), as mirrorlab serve does. A change sent with
// GET is refused (MethodNotAllowed). Descriptions, tags, ClientTokens
// and Describe filters carry EC2's limits; filter values are matched in
// linear time (wildcard.go).
//
// The account around the model: what the model does not hold is kept
// beside it. Fixed catalogues answer the region's zones (zones.go), public
// images (images.go) and instance types (instancetypes.go); a VPC with no
// route table in the model shows a main one derived from it
// (routetables.go); the default VPC, subnets, ACLs and groups and the
// subnets' zones are model fields (NewAccount, defaults.go, builds a new
// account's state; CreateVpc adds a VPC's defaults, vpcs_create.go); ELBv2
// attributes set by clients are kept by ARN (elbv2_attrs.go). STS
// (2011-06-15) answers GetCallerIdentity on the same endpoint.
//
// Load balancing (ELBv2 2015-12-01, on the same endpoint): created
// network and gateway load balancers are model LoadBalancers
// (elbv2_create.go), target groups model TargetGroups (elbv2_tg.go) whose
// registrations reach a balancer's Targets through its listeners
// (cloudmock's SyncLoadBalancers); a file's balancer keeps its one
// derived target group. Gateway Load Balancer endpoint services and
// endpoints are EC2 actions (vpce*.go): an endpoint is a model
// LoadBalancer of Type gateway with its VpcEndpointId and
// GatewayLoadBalancerArn. DescribeNetworkInterfaces also answers the
// balancers' and endpoints' own interfaces, views of the model
// (lb_enis.go).
//
// Instances (instances*.go) are the model's Instances with their
// interfaces; what EC2 shows beyond the model (launch time, the pending,
// stopping and shutting-down states on Config.Now's clock, terminated
// instances for an hour, metadata options, the launch's reservation) is
// kept in records published with the state (instances_clock.go). Each
// instance has its image's root volume, derived (volumes.go). Interfaces
// are created, attached and detached in the model (enis_change.go; new
// addresses from cloudmock/subnetaddr, enis_build.go). GetConsoleOutput
// reads Config.ConsoleOutput (the running lab's user data output).
//
// Adding actions (for other files of this package): add a line to the
// service's table in register.go. An action reads its parameters through
// params (str, required, int, bool, list for X.N, filters for
// Filter.N.Name/Value.M, tagSpecs for TagSpecification.N, portRange for
// nested X.FromPort, removeFields for RemoveField.N, paging for
// MaxResults/NextToken); a failed read is kept (params.Err, as
// bufio.Scanner's) and later reads answer zero values, so the action
// reads on and checks c.p.ok() only before logic on what it read. It
// calls c.begin() (the first failed read, UnknownParameter, DryRun), then
// c.read for queries (describeByID for a Describe over one list) or
// c.mutate for changes (ClientToken idempotency included), and returns a
// struct whose xml tags name the response's children. A model resource
// in an answer is not copied into an xml struct: encode.go writes it
// from its cloudmock type (res for EC2, qres for ELBv2; shapes.go lists
// where EC2's names differ and the fields served elsewhere), the action
// adding only what the model does not hold; listResult and itemResult
// are the Describe and the one-resource answers. Describe actions
// use applyFilters (EC2 filter semantics, wildcards, tag:KEY, tag-key,
// tag-value) and page (answers sorted by id). Errors are *apiError
// (errorf, errMissing, errInvalid, notFound); the model's validation
// errors are mapped by fromValidation.
package ec2api
