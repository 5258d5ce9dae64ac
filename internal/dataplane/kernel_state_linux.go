package dataplane

// The in-kernel path's shared state: the tables of allowed flows it
// shares with the model, and its counters, which join the model's and the
// pipelines' at each snapshot.

import (
	"errors"
	"fmt"
	"slices"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/dataplane/internal/kpath"
)

// shareConnTables moves the tables of allowed flows of the captured ENIs
// into their fabric's map, where the kernel reads and writes them too
// (security groups are stateful): before any packet is decided, since the
// model must not decide while a table moves. An ENI beyond the map's
// tables keeps its own, and the kernel leaves its stateful directions to
// user space.
func (k *kernelPath) shareConnTables(m *cloudmock.Model) error {
	return k.shareTables(m, k.svc.pipelines())
}

// shareTables shares the tables of pipes' ENIs, each in the first free
// table of its fabric's map.
func (k *kernelPath) shareTables(m *cloudmock.Model, pipes []*pipeline) error {
	var errs []error
	for _, p := range pipes {
		e := p.sim
		fi := k.svc.fabricIndex(e)
		if fi < 0 || p.dir != cloudmock.Ingress {
			continue
		}
		kf := k.fabrics[fi]
		if kf == nil {
			continue
		}
		if _, done := kf.conns[p.eniID]; done || len(kf.conns) >= kpath.MaxConnTables {
			continue
		}
		i := freeTable(kf.conns)
		mem, err := kf.path.ConnTable(i)
		if err == nil {
			err = m.SetFlowTable(p.eniID, mem)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("network interface %s: %w", p.eniID, err))
			continue
		}
		kf.conns[p.eniID] = i
	}
	return errors.Join(errs...)
}

// freeTable returns the first table index no ENI holds (tables are
// freed when an ENI leaves a running service).
func freeTable(conns map[string]int) int {
	used := make([]bool, len(conns)+1)
	for _, i := range conns {
		if i < len(used) {
			used[i] = true
		}
	}
	return slices.Index(used, false)
}

// unshareConnTables gives the model its tables back in its own memory, so
// that it outlives the maps (the pipelines have stopped).
func (k *kernelPath) unshareConnTables(m *cloudmock.Model) {
	for _, kf := range k.fabrics {
		if kf == nil {
			continue
		}
		for id := range kf.conns {
			if err := m.SetFlowTable(id, nil); err != nil {
				k.svc.cfg.Logger.Warn("in-kernel path: take back a table of allowed flows", "eni", id, "error", err)
			}
			delete(kf.conns, id)
		}
	}
}

func (s *Service) kernelFlush() {
	if s.kern != nil {
		s.kern.flush()
	}
}

// kernelTargetHealthChanged has the in-kernel path follow new target
// health before it returns, from a goroutine of its own: the health
// checker's thread is in its fabric's namespace.
func (s *Service) kernelTargetHealthChanged() {
	if s.kern == nil {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.kern.targetHealthChanged()
	}()
	<-done
}

func (s *Service) kernelStats() KernelStats {
	if s.kern == nil {
		return KernelStats{Why: s.kernWhy}
	}
	return s.kern.stats()
}

// stats reports which ENI directions the kernel decides and what it punted.
func (k *kernelPath) stats() KernelStats {
	k.mu.Lock()
	defer k.mu.Unlock()
	st := KernelStats{Enabled: true, Decided: map[string]string{}, Punted: map[string]uint64{}, PcapLost: k.pcapLost.Load()}
	for id, whys := range k.decided {
		for dir, why := range whys {
			st.Decided[id+"/"+cloudmock.Direction(dir).String()] = why
		}
	}
	for _, kf := range k.fabrics {
		if kf == nil {
			continue
		}
		punts, err := kf.path.Punts()
		if err != nil {
			continue
		}
		for reason, n := range punts {
			if n != 0 {
				st.Punted[kpath.Punt(reason).String()] += n
			}
		}
	}
	return st
}

// flush adds what the kernel counted since the last flush to the model
// in force and to the pipelines' and targets' counters.
func (k *kernelPath) flush() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.flushLocked(k.svc.Model())
}

func (k *kernelPath) flushLocked(m *cloudmock.Model) {
	for slot, ks := range k.slots {
		c, err := k.fabrics[ks.fabric].path.Counters(slot)
		if err != nil {
			continue
		}
		d := c.Sub(ks.last)
		if d == (kpath.Counters{}) {
			continue
		}
		ks.last = c
		m.CountCopies(ks.eniID, ks.sessionID, ks.dir, d.Packets, d.Bytes, d.Truncated)
		if t := ks.target; t != nil {
			t.st.sent.Add(d.Packets)
			t.st.sentBytes.Add(d.WireBytes)
		}
		p := ks.pipe
		if p != nil {
			p.st.kernel.Add(d.Packets)
			p.st.captured.Add(d.Packets)
			p.st.mirrored.Add(d.Packets)
			p.st.sent.Add(d.Packets)
			p.st.sentBytes.Add(d.WireBytes)
			p.st.dropped[DropSendError].Add(d.Errors)
		}
		for r, lost := range d.Lost {
			if lost.Packets == 0 {
				continue
			}
			// Mirrored, and lost on the way as the model said (the
			// target's ACL or groups, no listener, no healthy target).
			reason := cloudmock.DeliveryReason(r)
			m.CountCopiesAs(ks.eniID, ks.sessionID, ks.dir, reason, lost.Packets, lost.Bytes, lost.Truncated)
			if p != nil {
				p.st.kernel.Add(lost.Packets)
				p.st.captured.Add(lost.Packets)
				p.st.mirrored.Add(lost.Packets)
				p.st.dropped[deliveryDrop(reason)].Add(lost.Packets)
			}
		}
	}
}

// KernelStats describe the in-kernel path in a Snapshot.
type KernelStats struct {
	// Enabled is false when the service decides every packet in user
	// space; Why then says why (Config.UserSpaceOnly, or the error that
	// kept the programs from loading).
	Enabled bool   `json:"Enabled"`
	Why     string `json:"Why,omitempty"`
	// Decided lists, per source ENI and direction ("eni-1/ingress"), why
	// its packets are decided in user space; "" when the kernel decides
	// the packets it can (plain IPv4 and IPv6, no offload aggregate; see
	// kpath).
	Decided map[string]string `json:"Decided,omitempty"`
	// Punted counts the packets the kernel left to user space, by reason.
	Punted map[string]uint64 `json:"Punted,omitempty"`
	// PcapLost counts copies the kernel sent that are missing from the
	// per-target pcapng files (Config.PcapDir): their records were lost
	// on the way out of the kernel (see kernel_pcap_linux.go).
	PcapLost uint64 `json:"PcapLost,omitempty"`
}
