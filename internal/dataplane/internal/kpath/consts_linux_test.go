package kpath

import (
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/cilium/ebpf/btf"
	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// objectEnums reads the enums of bpf/kpath.h out of the compiled object's
// BTF: name of each constant to its value.
func objectEnums(t *testing.T) map[string]uint64 {
	t.Helper()
	spec, err := loadKpath()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, name := range []string{"limit", "dir", "flag", "mark", "punt"} {
		var e *btf.Enum
		if err := spec.Types.TypeByName(name, &e); err != nil {
			t.Fatalf("enum %s in the object's BTF: %v", name, err)
		}
		for _, v := range e.Values {
			out[v.Name] = v.Value
		}
	}
	return out
}

// headerEnums reads the constants of the enums in bpf/kpath.h (one
// "NAME = value," a line).
func headerEnums(t *testing.T) map[string]uint64 {
	t.Helper()
	src, err := os.ReadFile("bpf/kpath.h")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, m := range regexp.MustCompile(`(?m)^\s*(KPATH_[A-Z0-9_]+)\s*=\s*(0x[0-9A-Fa-f]+|[0-9]+),`).FindAllSubmatch(src, -1) {
		v, err := strconv.ParseUint(string(m[2]), 0, 64)
		if err != nil {
			t.Fatalf("bpf/kpath.h: %s = %s: %v", m[1], m[2], err)
		}
		out[string(m[1])] = v
	}
	return out
}

// TestConstantsMatchObject: the constants shared with the C code have one
// source, bpf/kpath.h. The committed object must be compiled from the
// header as it is (else `make generate` was forgotten), and the Go
// constants must be the object's (else kpath_bpfel.go is stale or was
// edited by hand), as must the sizes of the maps and of the port's
// arrays.
func TestConstantsMatchObject(t *testing.T) {
	obj, hdr := objectEnums(t), headerEnums(t)
	if len(hdr) < 30 {
		t.Fatalf("read %d constants from bpf/kpath.h: the pattern no longer fits the header", len(hdr))
	}
	for name, v := range hdr {
		if got, ok := obj[name]; !ok || got != v {
			t.Errorf("%s: bpf/kpath.h says %d, the object %d (present: %v): run make generate", name, v, got, ok)
		}
	}
	for name := range obj {
		if _, ok := hdr[name]; !ok {
			t.Errorf("%s is in the object but not in bpf/kpath.h: run make generate", name)
		}
	}
	goValues := map[string]uint64{
		"KPATH_MAX_RULES": uint64(MaxRules), "KPATH_MAX_SLOTS": uint64(MaxSlots), "KPATH_MAX_PORTS": uint64(MaxPorts),
		"KPATH_MAX_ALLOW": uint64(MaxAllow), "KPATH_MAX_ACL": uint64(MaxACL), "KPATH_CONN_SLOTS": uint64(ConnSlots),
		"KPATH_MAX_CONN_TABLES": uint64(MaxConnTables), "KPATH_CLONE_TAG": uint64(CloneTag),
		"KPATH_DEFAULT_COPY_MARK": uint64(DefaultCopyMark), "KPATH_DIR_INGRESS": uint64(Ingress), "KPATH_DIR_EGRESS": uint64(Egress),
		"KPATH_RULE_ACCEPT": uint64(ruleAccept), "KPATH_RULE_HAS_SPORT": uint64(ruleHasSport), "KPATH_RULE_HAS_DPORT": uint64(ruleHasDport), "KPATH_RULE_AMAZON_DNS": uint64(ruleAmazonDNS),
		"KPATH_REJECT_STOPS": uint64(flagRejectStops), "KPATH_RECEIVERS_COMPLETE_CSUM": uint64(flagReceiversCompleteCsum),
		"KPATH_STREAM_COPIES": uint64(flagStreamCopies),
		"KPATH_PORT_STATEFUL": uint64(portStateful), "KPATH_PORT_ACL": uint64(portACL), "KPATH_PORT_IPV6": uint64(portIPv6), "KPATH_PORT_SUBNET6": uint64(portSubnet6), "KPATH_ALLOW_ALL": uint64(allowAll),
		"KPATH_ACL_ALLOW": uint64(aclAllow), "KPATH_ACL_ALL": uint64(aclAll), "KPATH_ACL_PORTS": uint64(aclPorts),
		"KPATH_PUNT_REASONS": uint64(NumPunts), "KPATH_PUNT_NETWORK_ACL": uint64(PuntNetworkACL), "KPATH_PUNT_CUT": uint64(PuntCut), "KPATH_PUNT_NOT_IP": uint64(PuntNotIP),
		"KPATH_OUTER_PORTS": uint64(OuterPorts), "KPATH_MAX_HEADER": uint64(MaxHeader), "KPATH_MAX_FIXES": uint64(MaxFixes),
		"KPATH_LOST_REASONS": uint64(LostReasons), "KPATH_MAX_FORWARDS": uint64(MaxForwards),
		"KPATH_FORWARD_HASH": uint64(ForwardHash), "KPATH_ROUTE_FORWARD": uint64(routeForward),
	}
	for name, v := range goValues {
		if obj[name] != v {
			t.Errorf("Go's %s is %d, the object's %d", name, v, obj[name])
		}
	}
	if len(puntNames) != int(obj["KPATH_PUNT_REASONS"]) {
		t.Errorf("%d punt names for %d reasons", len(puntNames), obj["KPATH_PUNT_REASONS"])
	}
	spec, err := loadKpath()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]uint64{
		"ports": uint64(MaxPorts), "sessions": uint64(MaxSlots), "counters": uint64(MaxSlots) + 1,
		"conns": uint64(MaxConnTables * ConnSlots), "punts": uint64(NumPunts), "forwards": uint64(MaxForwards),
	} {
		if got := spec.Maps[name].MaxEntries; uint64(got) != want {
			t.Errorf("map %s holds %d entries in the object, Go expects %d", name, got, want)
		}
	}
	// A session routes each outer source port the model gives its copies;
	// every delivery reason fits the counters of lost copies.
	var session kpathSession
	var route kpathRoute
	var stats kpathStats
	if OuterPorts != cloudmock.OuterPorts || len(session.Routes) != OuterPorts || len(route.Hdr) != MaxHeader ||
		len(route.Fix) != MaxFixes || len(stats.Lost) != LostReasons || int(cloudmock.NoRouteToTarget) >= LostReasons {
		t.Errorf("routes: %d per session (the model's outer ports: %d), header %d bytes, %d fixes, %d lost reasons",
			len(session.Routes), cloudmock.OuterPorts, len(route.Hdr), len(route.Fix), len(stats.Lost))
	}
	var port kpathPort
	if len(port.Rules) != MaxRules || len(port.Allow) != MaxAllow || len(port.Acl) != MaxACL ||
		len(port.Rules6) != MaxRules || len(port.Allow6) != MaxAllow || len(port.Acl6) != MaxACL {
		t.Errorf("struct port holds %d/%d rules, %d/%d allow, %d/%d acl entries (IPv4/IPv6); Go's limits are %d, %d, %d",
			len(port.Rules), len(port.Rules6), len(port.Allow), len(port.Allow6), len(port.Acl), len(port.Acl6), MaxRules, MaxAllow, MaxACL)
	}
}
