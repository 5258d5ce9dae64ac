package cloudmock

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mirrorlab/mirrorlab/internal/codes"
)

// The AWS Traffic Mirroring guide ("Traffic Mirroring limitations",
// "Instance types", which apply to the source only): mirroring is not
// available on the listed virtualized Nitro families, nor on bare metal,
// and among the instances not built on Nitro only on C4, D2, G3, G3s, H1,
// I3, M4, P2, P3, R4, X1 and X1e ("this does not include T2 instances").
var (
	// nitroWithoutMirroring are the Nitro families the guide lists.
	nitroWithoutMirroring = []string{
		"m8g", "m6a", "m6i", "m6id", "m6idn", "m6in", "m7a", "m7g", "m7gd", "m7i", "m7i-flex",
		"c8g", "c6a", "c6gd", "c6gn", "c6i", "c6id", "c6in", "c7a", "c7g", "c7gd", "c7gn", "c7i",
		"r8g", "r6a", "r6i", "r6id", "r6idn", "r6in", "r7a", "r7g", "r7gd", "r7i", "r7iz", "x8g", "x2idn", "x2iedn", "x2iezn",
		"i4g", "i4i", "im4gn", "is4gen",
		"inf2", "p5", "trn1", "trn1n",
		"hpc6a", "hpc6id", "hpc7a", "hpc7g",
	}
	// xenWithMirroring are the families not built on Nitro that mirror.
	xenWithMirroring = []string{"c4", "d2", "g3", "g3s", "h1", "i3", "m4", "p2", "p3", "r4", "x1", "x1e"}
	// xenFamilies are the families not built on Nitro (the previous
	// generations and the Xen-based current ones); a family named in
	// neither list is taken to be built on Nitro.
	xenFamilies = []string{
		"t1", "t2", "m1", "m2", "m3", "m4", "c1", "c3", "c4", "cc2", "cg1", "cr1", "hi1", "hs1",
		"r3", "r4", "i2", "i3", "d2", "g2", "g3", "g3s", "h1", "p2", "p3", "x1", "x1e",
	}
)

// MirrorSourceSupported says whether an instance of the type (e.g.
// "m5.large") can be a traffic mirror source on AWS and, when not, why.
// An empty type (unknown) is supported: the model refuses only what it
// knows to be refused.
func MirrorSourceSupported(instanceType string) (bool, string) {
	if instanceType == "" {
		return true, ""
	}
	family, size, _ := strings.Cut(strings.ToLower(instanceType), ".")
	switch {
	case strings.HasPrefix(size, "metal"):
		return false, fmt.Sprintf("instance type %s is bare metal: Traffic Mirroring is not available on bare metal instances", instanceType)
	case slices.Contains(nitroWithoutMirroring, family):
		return false, fmt.Sprintf("Traffic Mirroring is not available on instance type %s (family %s)", instanceType, family)
	case slices.Contains(xenFamilies, family) && !slices.Contains(xenWithMirroring, family):
		return false, fmt.Sprintf("instance type %s is not built on the Nitro System and is not one of the non-Nitro types Traffic Mirroring supports (%s)",
			instanceType, strings.ToUpper(strings.Join(xenWithMirroring, ", ")))
	}
	return true, ""
}

// instanceType checks that the ENIs of one instance agree on its type.
func (v *validator) instanceType(e NetworkInterface, i int, types map[string]string) {
	if e.InstanceId == "" || e.InstanceType == "" {
		return
	}
	if t, ok := types[e.InstanceId]; ok && t != e.InstanceType {
		v.add("NetworkInterface", e.NetworkInterfaceId, i, "InstanceType", codes.InvalidParameterValue,
			"instance %s is of type %s on another network interface, not %s", e.InstanceId, t, e.InstanceType)
		return
	}
	types[e.InstanceId] = e.InstanceType
}
