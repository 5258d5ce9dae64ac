// Package lab owns one lab's life on Linux: Build turns a Config (the
// topology, the kernel VXLAN devices, the mirror configuration) into a
// running *Lab (namespaces by sim, the mirror service by dataplane), Apply
// changes it while it runs (FollowSpec: the network follows the model,
// TopologyOf, as the API changes it; instances' user data runs, see
// ConsoleOutput), Close takes it down. It records each lab in
// its run's one state file, so that other processes list, choose, take
// down and clean labs (List, Choose, TakeDown, Clean). `mirrorlab run`,
// `up`, `serve` and `bench` all build their labs here.
//
// It imports the model (cloudmock), the data plane and sim; it must never
// import scenarios, the API server, bench or cmd: they import it.
package lab
