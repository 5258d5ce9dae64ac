// Package privtest gates tests that need root (network namespaces, veth,
// AF_PACKET) or kernel features (BPF, TCX). Without root such a test is
// skipped (Require), and so is one whose kernel lacks a feature
// (SkipIfNotSupported, after cilium/ebpf's testutils), except when the
// environment sets MIRRORLAB_REQUIRE_PRIVILEGED=1 (CI does), where a skip
// would hide a regression and so becomes a failure. It imports only the
// standard library, cilium/ebpf's errors and internal/nsrun: never the
// packages it tests.
package privtest
