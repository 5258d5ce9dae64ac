package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/mirrorlab/mirrorlab/lab"
)

// writeLabSummary prints what status and down show of a lab.
func writeLabSummary(w io.Writer, l lab.Entry, now time.Time) {
	r := l.Record
	owner := fmt.Sprintf("pid %d", r.PID)
	switch l.State {
	case lab.Kept:
		owner = "none (kept by run --keep: nothing mirrors any more)"
	case lab.Orphaned:
		owner = fmt.Sprintf("pid %d is gone (mirrorlab clean removes the lab)", r.PID)
	}
	fmt.Fprintf(w, "lab %s  %s  (%s)  %s, up %s\n", r.RunID, r.Scenario, r.File, l.State, now.Sub(r.Started).Round(time.Second))
	fmt.Fprintf(w, "  owner: %s\n", owner)
	if r.Log != "" {
		fmt.Fprintf(w, "  log: %s\n", r.Log)
	}
	writeInstances(w, r.Info)
	c := r.Counters
	if len(c.Sessions) > 0 {
		fmt.Fprintln(w, "  mirror sessions:")
		for _, s := range c.Sessions {
			fmt.Fprintf(w, "    %-18s -> %-16s VNI %-8d mirrored %d packets (%d bytes), truncated %d, delivered %d%s\n",
				s.Name, s.Target, s.VNI, s.Packets, s.Bytes, s.Truncated, s.Delivery["delivered"], dropped(s.Delivery))
		}
	}
	if d := c.DataPlane; d != nil {
		fmt.Fprintf(w, "  mirror service: captured %d frames, mirrored %d, sent %d", d.Captured, d.Mirrored, d.Sent)
		if d.RingDrops > 0 {
			fmt.Fprintf(w, ", capture missed %d", d.RingDrops)
		}
		fmt.Fprintln(w)
	}
	for _, name := range slices.Sorted(maps.Keys(c.Agents)) {
		st := c.Agents[name]
		fmt.Fprintf(w, "  agent %s: decoded %.0f packets, parsed %.0f requests, replayed %.0f, failed %.0f, dropped %.0f\n",
			name, st["packets"], st["requests.parsed"], st["requests.replayed"], st["requests.failed"], sumPrefix(st, "requests.dropped."))
	}
	for _, name := range slices.Sorted(maps.Keys(c.Servers)) {
		fmt.Fprintf(w, "  server %s: received %d requests\n", name, c.Servers[name])
	}
	if !c.Updated.IsZero() {
		fmt.Fprintf(w, "  counters as of %s (%s ago)\n", c.Updated.Format(time.TimeOnly), now.Sub(c.Updated).Round(100*time.Millisecond))
	}
}

func writeInstances(w io.Writer, info lab.Info) {
	fmt.Fprintln(w, "  instances:")
	for _, inst := range slices.Sorted(maps.Keys(info.Instances)) {
		var addrs []string
		for _, k := range slices.Sorted(maps.Keys(info.Addrs)) {
			if name, eni, _ := strings.Cut(k, "/"); name == inst {
				a := eni + " " + info.Addrs[k]
				if v6, ok := info.Addrs6[k]; ok {
					a += " " + v6
				}
				addrs = append(addrs, a)
			}
		}
		fmt.Fprintf(w, "    %-16s %-40s netns %s\n", inst, strings.Join(addrs, ", "), info.Instances[inst])
	}
}

// dropped lists the delivery outcomes other than delivered.
func dropped(d map[string]uint64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(d)) {
		if k != "delivered" && d[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, d[k]))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func sumPrefix(m map[string]float64, prefix string) float64 {
	var n float64
	for k, v := range m {
		if strings.HasPrefix(k, prefix) {
			n += v
		}
	}
	return n
}
