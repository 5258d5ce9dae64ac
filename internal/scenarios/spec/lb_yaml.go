package spec

import (
	"gopkg.in/yaml.v3"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// lbSection is the network section's load balancers (AWS NLB, Alibaba
// private CLB) and Gateway Load Balancer endpoints, as mirror targets: the
// model's, whose ids are the scenario's names. What the YAML leaves out,
// Model adds: Type network, the address (the next free one of the subnet),
// a network load balancer's UDP 4789 listener (Listeners: [] is none), a
// gateway's endpoint id (its name). A target's Id names a network
// interface, or an instance for its first one.
type lbSection struct {
	List []cloudmock.LoadBalancer
	// Lab holds what the model has not, by load balancer.
	Lab []LoadBalancerLab

	places places
}

// LoadBalancerLab is what the scenario says of a load balancer beyond the
// model.
type LoadBalancerLab struct {
	// HealthCheckPort: the targets are health-checked by TCP connections
	// to this port (an agent's -health-port); 0: no checks, all healthy.
	HealthCheckPort int
	// Unhealthy marks, by target, one failing its health check from the
	// start.
	Unhealthy []bool
	// DefaultListeners: the file gives no Listeners (a network load
	// balancer then listens on UDP 4789).
	DefaultListeners bool
}

// lbItem is a load balancer as the file holds it.
type lbItem struct {
	cloudmock.LoadBalancer
	LoadBalancerLab
}

// UnmarshalYAML implements yaml.Unmarshaler: the list by lbTable.
func (l *lbSection) UnmarshalYAML(n *yaml.Node) error {
	items, places, err := section(n, "network.loadBalancers", "LoadBalancer", lbTable, "load balancer")
	l.List, l.Lab = splitItems(items, func(it lbItem) (cloudmock.LoadBalancer, LoadBalancerLab) {
		it.DefaultListeners = it.Listeners == nil
		return it.LoadBalancer, it.LoadBalancerLab
	})
	l.places = places
	return err
}

// node writes the load balancers (their ids being the names to write) with what the scenario says beyond the model, by the tables the
// loader reads them with.
func (l *lbSection) node() *yaml.Node {
	return encodeList(lbTable, joinItems(l.List, l.Lab, func(lb cloudmock.LoadBalancer, l LoadBalancerLab) lbItem { return lbItem{lb, l} }))
}

var lbTable = table[lbItem]{
	strKey("name", "LoadBalancerArn", func(l *lbItem) *string { return &l.LoadBalancerArn }, false),
	{name: "Type", field: "Type", dec: func(d *modelDecoder, n *yaml.Node, a at, l *lbItem) {
		l.Type, _ = leaf[string](d, n)
		d.record(at{key: placeKey{a.key.Resource, a.key.Index, "VpcEndpointId"}, path: a.path}) // set by the Type
	}, enc: strKey("Type", "Type", func(l *lbItem) *string { return &l.Type }, true).enc},
	strKey("SubnetId", "SubnetId", func(l *lbItem) *string { return &l.SubnetId }, false),
	addrKey[lbItem]("PrivateIpAddress", func(l *lbItem) *string { return &l.PrivateIpAddress }),
	addrKey[lbItem]("Ipv6Address", func(l *lbItem) *string { return &l.Ipv6Address }),
	{name: "Listeners", field: "Listeners", dec: func(d *modelDecoder, n *yaml.Node, a at, l *lbItem) {
		if isNull(resolve(n)) {
			return
		}
		l.Listeners = []cloudmock.Listener{}
		decodeList(d, n, "listeners", func(j int, it *yaml.Node) {
			var x cloudmock.Listener
			la := a.item("Listeners", j)
			d.record(la)
			decodeInto(d, it, la, listenerTable, "a listener", &x)
			l.Listeners = append(l.Listeners, x)
		})
	}, enc: func(l *lbItem) *yaml.Node {
		if l.DefaultListeners {
			return nil
		}
		if len(l.Listeners) == 0 {
			return &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		}
		return encodeList(listenerTable, l.Listeners)
	}},
	{name: "Targets", field: "Targets", dec: func(d *modelDecoder, n *yaml.Node, a at, l *lbItem) {
		decodeList(d, n, "targets", func(j int, it *yaml.Node) {
			var t lbTarget
			ta := a.item("Targets", j)
			d.record(ta)
			decodeInto(d, it, ta, lbTargetTable, "a target", &t)
			l.Targets = append(l.Targets, t.TargetDescription)
			l.Unhealthy = append(l.Unhealthy, t.unhealthy)
		})
	}, enc: func(l *lbItem) *yaml.Node {
		ts := make([]lbTarget, len(l.Targets))
		for j, t := range l.Targets {
			ts[j] = lbTarget{t, j < len(l.Unhealthy) && l.Unhealthy[j]}
		}
		return encodeList(lbTargetTable, ts)
	}},
	intKey("healthCheckPort", "", func(l *lbItem) *int { return &l.HealthCheckPort }, true),
}

var listenerTable = table[cloudmock.Listener]{
	strKey("Protocol", "Protocol", func(l *cloudmock.Listener) *string { return &l.Protocol }, false),
	intKey("Port", "Port", func(l *cloudmock.Listener) *int { return &l.Port }, false),
}

// lbTarget is a registered target as the file holds it.
type lbTarget struct {
	cloudmock.TargetDescription
	unhealthy bool
}

var lbTargetTable = table[lbTarget]{
	strKey("Id", "NetworkInterfaceId", func(t *lbTarget) *string { return &t.NetworkInterfaceId }, false),
	valueKey("unhealthy", "", func(t *lbTarget) *bool { return &t.unhealthy }, true),
}

// addrKey is an IP address held as a string; "" is left out when writing.
func addrKey[T any](name string, get func(*T) *string) key[T] {
	return key[T]{name: name, field: name, leaf: true,
		dec: func(d *modelDecoder, n *yaml.Node, _ at, r *T) {
			if v, ok := leaf[ipAddr](d, n); ok && v.IsValid() {
				*get(r) = v.String()
			}
		},
		enc: strKey(name, name, get, true).enc}
}
