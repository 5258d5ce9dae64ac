package explain

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Render writes the report for a terminal. Verbose also lists the
// interfaces where nothing is mirrored because they are the source of no
// session.
func (r *Report) Render(w io.Writer, verbose bool) {
	fmt.Fprintf(w, "scenario %s (%s)\n", r.Scenario, r.File)
	fmt.Fprintf(w, "profile: %s, %s\n", r.Provider, r.RejectBehaviour)
	if len(r.Problems) > 0 {
		verdict := "the provider would refuse this configuration"
		if r.ProblemsExpected {
			verdict += " (the scenario expects it)"
		}
		fmt.Fprintf(w, "\nvalidation: %s:\n", verdict)
		for _, p := range r.Problems {
			fmt.Fprintf(w, "  %s\n", p.Error())
		}
		return
	}
	fmt.Fprintln(w, "validation: ok (quotas and parameters within the profile's limits)")
	if len(r.VNIs) > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(r.VNIs)) {
			parts = append(parts, fmt.Sprintf("%s=%d", k, r.VNIs[k]))
		}
		fmt.Fprintf(w, "session VNIs: %s\n", strings.Join(parts, ", "))
	}
	for _, f := range r.Flows {
		fmt.Fprintf(w, "\n%s (%s): %s\n", f.Name, f.Kind, f.Path)
		shown := 0
		for _, h := range f.Hops {
			if !verbose && h.Reason == "no-session" {
				continue
			}
			shown++
			fmt.Fprintf(w, "  %-12s %s\n", h.Packet, hopLine(h))
		}
		if shown == 0 && len(f.Hops) > 0 {
			fmt.Fprintln(w, "  no interface on its path is the source of a session: nothing mirrored")
		}
		for _, k := range slices.Sorted(maps.Keys(f.Summary)) {
			fmt.Fprintf(w, "  %6d x %s\n", f.Summary[k], k)
		}
		if f.Note != "" {
			fmt.Fprintf(w, "  note: %s\n", f.Note)
		}
	}
	for _, c := range r.Comparisons {
		fmt.Fprintf(w, "\nshadow testing: %s\n", c)
	}
	if r.Cost != nil {
		fmt.Fprintf(w, "\ncost estimate (%s prices, %.0f hours", r.Provider, r.CostHours)
		if r.PricePerGB > 0 {
			fmt.Fprintf(w, ", %.1f GB mirrored", r.CostGB)
		}
		fmt.Fprintf(w, "): %.2f USD  (%.1f ENI-hours x %.3f USD", r.Cost.TotalUSD, r.Cost.ENIHours, r.PricePerENIHour)
		if r.PricePerGB > 0 {
			fmt.Fprintf(w, " + %.3f USD per GB", r.PricePerGB)
		}
		fmt.Fprintln(w, ")")
	}
}

func hopLine(h Hop) string {
	at := fmt.Sprintf("%s at %s %s", h.Flow, h.ENI, h.Direction)
	if !h.Mirrored {
		_, why, _ := strings.Cut(h.Text, "not mirrored: ")
		return fmt.Sprintf("%s: not mirrored (%s)", at, why)
	}
	s := fmt.Sprintf("%s: MIRRORED by %s (session %d, rule %d) to %s, VNI %d, ", at, h.Session, h.SessionNumber, h.Rule, h.Target, h.VNI)
	if h.OuterFamily == "ipv6" {
		s += "over IPv6 (74 bytes reserved), "
	}
	if h.Truncated {
		s += fmt.Sprintf("truncated %d -> %d bytes (%s), ", h.Bytes, h.InnerBytes, h.TruncatedBy)
	} else {
		s += fmt.Sprintf("whole (%d bytes), ", h.Bytes)
	}
	if h.Delivered {
		_, to, _ := strings.Cut(h.Text, "; ")
		return s + to
	}
	_, why, _ := strings.Cut(h.Text, "; ")
	return s + "NOT DELIVERED: " + why
}
