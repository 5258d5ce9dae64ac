// Package privtest gates tests that need root (network namespaces, veth,
// AF_PACKET). Without root such a test is skipped, except when the
// environment sets MIRRORLAB_REQUIRE_PRIVILEGED=1 (CI does), where a skip
// would hide a regression and so becomes a failure.
package privtest
