// Package alibaba serves Alibaba Cloud's RPC-style OpenAPI for traffic
// mirroring (VPC, Version 2016-04-28) over the account state of the
// provider model (cloudmock.Spec, alibaba profile), so that Alibaba's SDKs
// and scripts drive the emulated mirror service and its live data plane.
//
// Protocol: GET or form-encoded POST at "/", with Action and Version as
// parameters (signature v1, HMAC-SHA1) or as the x-acs-action and
// x-acs-version headers (ACS3, signature v3, what the current Go SDK
// sends); parameters from the query and the body are merged, lists are
// X.N and X.N.Field. Answers are JSON with RequestId; errors are
// {"RequestId","HostId","Code","Message","Recommend"} with the HTTP status
// (400, ResourceNotFound.* 404, too large 413, internal 500).
// Signatures (v1 and v3, AccessKeyId, SecurityToken) are accepted and NOT
// verified: any credentials work. Serve it on loopback or a trusted
// network. Bodies are capped at MaxBodyBytes; RegionId other than the
// configured region is refused. Parameters no operation reads are ignored;
// Format=XML is not served (answers are always JSON).
//
// Operations: OpenTrafficMirrorService, GetTrafficMirrorServiceStatus;
// Create/Delete/List/UpdateTrafficMirrorFilter(Attribute);
// Create/DeleteTrafficMirrorFilterRules,
// UpdateTrafficMirrorFilterRuleAttribute; Create/Delete/List/
// UpdateTrafficMirrorSession(Attribute) (Enabled included),
// AddSourcesToTrafficMirrorSession, RemoveSourcesFromTrafficMirrorSession;
// the reads DescribeVpcs and DescribeVSwitches (VPC), ECS
// DescribeNetworkInterfaces (2014-05-26) and SLB DescribeLoadBalancers
// (2014-05-15, the model's network load balancers as private CLBs).
//
// Mapping to the model: a filter rule's Priority is the model's
// RuleNumber, Action drop is reject, Protocol ALL/ICMP/TCP/UDP is 0/1/6/17,
// port ranges "FROM/TO" ("-1/-1": all); a session's first source is the
// model's NetworkInterfaceId and the others TrafficMirrorSourceIds,
// Priority is SessionNumber, and its target (an ENI or an SLB instance)
// becomes a model target (tmt-, which Alibaba's API never shows), added
// and removed with the sessions that use it. Names, tags, resource groups,
// creation times, the Enabled switch and the service switch are kept
// beside the model. A session is created disabled unless Enabled=true, as
// on Alibaba; PacketLength defaults to 1500.
//
// Every change follows one path (state.go, mutate): copy the state, apply
// the change, validate the whole result with the model (cloudmock.New: the
// model's rules are the only rules — quotas, one session per source, ten
// sources per session, ten rules per direction, no IPv6, a source must be
// an ENI — answered with Alibaba codes by fromValidation), answer
// DryRunOperation for DryRun=true, hand the Spec without the disabled
// sessions to Config.Apply synchronously, and commit only when that
// succeeded. ClientToken makes a retry answer the first result.
//
// Asynchronous states: the change reaches the data plane before the
// answer, and the resource is then listed Creating, Modifying or Deleting
// for Config.Settle (default 2s) before it is Created (or gone), so that
// callers' polling loops run as against Alibaba; a change to a resource in
// such a state is refused with IncorrectStatus.*, as Alibaba does.
//
// What could not be confirmed from Alibaba's public reference (the VPC and
// ECS Go SDKs' models and docs, SLB's SDK models and the Terraform
// provider were read): the HTTP status of each error, and the codes other
// than DryRunOperation, ResourceNotFound.TrafficMirrorSession/Filter and
// IncorrectStatus.TrafficMirrorSession/Filter/Rule (errors.go marks them).
// The alibaba profile bounds PacketLength to 1..8947 while Alibaba's
// reference says 64..9600: the model's bound applies.
package alibaba
