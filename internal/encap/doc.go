// Package encap holds the numbers of the packet formats the mirror writes
// and reads (VXLAN, GENEVE, Ethernet, IP) and the Internet checksum their
// headers carry: what the model, the data plane, the generators and the
// tests share. It imports nothing of mirrorlab.
package encap
