// Package spec is the mirrorlab scenario file format: its Go types, a strict
// loader that keeps every node's file:line, a semantic pass that reports every
// problem at once, the provider model (cloudmock.Spec) it describes, and the
// emulated topology (sim.Topology, the lab's derivation of the model).
//
// The resource sections decode straight into the model's types, by one table
// per resource kind (YAML key, model field, read, write) in <kind>_yaml.go,
// which Network's MarshalYAML and export write with too; what the model has
// not (health-check ports, an instance's name and VXLAN devices, …) sits
// beside it (SecurityGroupLab, LoadBalancerLab, Instance). The decoder
// records the document path of each model place it fills (an interface's is
// found by its name), so that the model's validation errors find their line
// by a lookup. Check builds the model once; Model returns a copy.
//
// Each kind of expectation is one type in one file (expect_<kind>.go) with
// its fields, its validation, its description and its judgement against
// Observations, registered in expectKinds; each kind of traffic step is one
// type in one file (traffic_<kind>.go) with its fields, its validation and
// its description, registered in trafficKinds (the runner sends each kind
// through its own row of trafficRunners). A new kind is that file, its
// row, and its entries in schema.json and FORMAT.md, which a test holds to
// the registries.
//
// spec must never import the agent or the runner: spec knows the built-in
// programs by name (BuiltinNames); each is one type in one file of the
// runner, whose registered checks of their args come in as a Builtins
// value (runner.Builtins).
//
// Loading costs time and memory in proportion to the file: it is parsed
// once, a large file's long lists a chunk at a time; LoadContext and
// ParseContext stop soon after their context is done, with an error that
// wraps ErrInterrupted.
//
// Naming rule of the format: lower-case keys are mirrorlab's own; PascalCase
// keys are the CloudFormation/EC2 property names of the resource they sit in
// (TrafficMirrorSession's SessionNumber, VirtualNetworkId, PacketLength, …), so
// a CloudFormation Properties block can be pasted. Where CloudFormation takes a
// resource id, a scenario takes the resource's name (a plain string or
// `!Ref name`).
package spec
