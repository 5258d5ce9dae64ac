package gen

import (
	"context"
	"fmt"
	"time"
)

// Counter is a monotonic count of packets that arrived somewhere on the
// path (an interface's received packets, say).
type Counter struct {
	// Name keys the figure in TrialResult.Extra ("delivered", "mirrored").
	Name string
	Read func() (uint64, error)
	// Expect is how many arrivals each sent packet should cause (1 for
	// production delivery and for one mirror copy).
	Expect uint64
}

// Path is a generator with the counters that tell what arrived.
type Path struct {
	Name     string
	Sender   *Sender
	Counters []Counter
	// Trial is how long each trial sends; Settle how long to wait after it
	// before reading the counters (packets still in queues).
	Trial, Settle time.Duration
}

// Run is a TrialFunc over the path: it sends at rate for p.Trial and counts
// what arrived. Extra gets, per counter, what arrived; and CPU figures per
// million sent packets: "machine_cpu_s_per_mpkt" (all CPUs busy time),
// "gen_cpu_s_per_mpkt" (the generator's thread) and
// "proc_cpu_s_per_mpkt" (this process minus the generator: an in-process
// device under test such as the mirror service).
func (p *Path) Run(ctx context.Context, rate float64) (TrialResult, error) {
	before := make([]uint64, len(p.Counters))
	for i, c := range p.Counters {
		v, err := c.Read()
		if err != nil {
			return TrialResult{}, fmt.Errorf("%s: read %s: %w", p.Name, c.Name, err)
		}
		before[i] = v
	}
	m0, err := MachineCPU()
	if err != nil {
		return TrialResult{}, err
	}
	p0 := ProcessCPU()
	tx, err := p.Sender.Send(ctx, rate, p.Trial)
	if err != nil {
		return TrialResult{}, fmt.Errorf("%s: send: %w", p.Name, err)
	}
	select {
	case <-ctx.Done():
		return TrialResult{}, ctx.Err()
	case <-time.After(p.Settle):
	}
	p1 := ProcessCPU()
	m1, err := MachineCPU()
	if err != nil {
		return TrialResult{}, err
	}
	t := TrialResult{Requested: rate, Sent: tx.Sent, Duration: tx.Elapsed, Extra: map[string]float64{}}
	if tx.Elapsed > 0 {
		t.Offered = float64(tx.Sent) / tx.Elapsed.Seconds()
	}
	for i, c := range p.Counters {
		v, err := c.Read()
		if err != nil {
			return TrialResult{}, fmt.Errorf("%s: read %s: %w", p.Name, c.Name, err)
		}
		got := v - before[i]
		t.Extra[c.Name] = float64(got)
		want := tx.Sent * c.Expect
		if got < want {
			lost := want - got
			t.Lost = max(t.Lost, lost)
			if want > 0 {
				t.Loss = max(t.Loss, float64(lost)/float64(want))
			}
		}
	}
	if tx.Sent > 0 {
		mpkt := float64(tx.Sent) / 1e6
		t.Extra["machine_cpu_s_per_mpkt"] = (m1 - m0).Seconds() / mpkt
		t.Extra["gen_cpu_s_per_mpkt"] = tx.CPU.Seconds() / mpkt
		t.Extra["proc_cpu_s_per_mpkt"] = max(0, (p1-p0-tx.CPU).Seconds()) / mpkt
	}
	t.Extra["refused"] = float64(tx.Refused)
	return t, nil
}
