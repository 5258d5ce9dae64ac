// Package encap holds the numbers of the packet formats the mirror writes
// and reads (VXLAN, GENEVE, Ethernet, IP): what the model, the data plane
// and the tests share. It has no code.
package encap
