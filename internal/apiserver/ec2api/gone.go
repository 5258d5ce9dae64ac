package ec2api

import "sync"

// goneStore remembers the last answer of resources deleted a moment ago
// that EC2 keeps describing in state "deleted" for a while, and that the
// provider's waiters poll until they see that state (transit gateway VPC
// attachments). It is presentation only: the model has forgotten them.
// Bounded (the oldest are forgotten first); safe for concurrent use.
type goneStore struct {
	mu    sync.Mutex
	m     map[string]any
	order []string
}

// maxGone bounds the deleted resources remembered.
const maxGone = 1000

func (g *goneStore) put(id string, answer any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m == nil {
		g.m = map[string]any{}
	}
	if _, ok := g.m[id]; !ok {
		g.order = append(g.order, id)
	}
	g.m[id] = answer
	for len(g.order) > maxGone {
		delete(g.m, g.order[0])
		g.order = g.order[1:]
	}
}

func (g *goneStore) get(id string) (any, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	v, ok := g.m[id]
	return v, ok
}
