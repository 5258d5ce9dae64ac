package cloudmock

import "fmt"

// Explain builds a frame for p, decides it at the ENI named eniID in
// direction dir, and, when it is mirrored, checks its delivery; for
// `mirrorlab explain`. Like Decide, it records a flow that the source's
// security groups allow (so a later reply is seen as return traffic).
func (m *Model) Explain(eniID string, dir Direction, p Packet) (Decision, Delivery, error) {
	ref, ok := m.ENI(eniID)
	if !ok {
		return Decision{}, Delivery{}, fmt.Errorf("explain: unknown network interface %q", eniID)
	}
	f, err := BuildFrame(p)
	if err != nil {
		return Decision{}, Delivery{}, fmt.Errorf("explain: %w", err)
	}
	d := m.Decide(ref, dir, f)
	return d, m.Deliver(&d), nil
}
