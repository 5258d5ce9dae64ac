package kpath

// The programs are compiled once and committed (kpath_bpfel.go and
// kpath_bpfel.o), so building needs no clang. Regenerate after changing
// bpf/ with `make generate` (needs clang and libbpf-dev).
//go:generate go tool bpf2go -tags linux -target bpfel -type rule -type port_key -type port -type session -type route -type fix -type forward -type forward_key -type prefix6 -type rule6 -type allow6 -type acl6 -type settings -type stats -type tally -type allow -type acl -type limit -type dir -type flag -type mark -type punt kpath bpf/kpath.c -- -mcpu=v3 -Wall -Werror -I/usr/include/x86_64-linux-gnu -I/usr/include/aarch64-linux-gnu
