package ec2api

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

type xmlAction struct {
	Type           string `xml:"Type"`
	TargetGroupArn string `xml:"TargetGroupArn"`
	Order          int    `xml:"Order"`
}

// toXMLListener is a listener as ELBv2 answers it: the model's, with its
// ARN, its load balancer and its forward action (to the file's balancer's
// own group when it names none).
func (s *Server) toXMLListener(lb *cloudmock.LoadBalancer, l cloudmock.Listener) xres {
	tg := l.TargetGroupArn
	if tg == "" {
		tg = s.tgArn(lb)
	}
	x := qres(l)
	if lb.Type == "gateway" { // a gateway's listener has no protocol or port
		x = x.set("Protocol", "").set("Port", 0)
	}
	return x.with(xel{"ListenerArn", s.listenerArn(lb, l)}, xel{"LoadBalancerArn", lb.LoadBalancerArn},
		xel{"DefaultActions", []xmlAction{{Type: "forward", TargetGroupArn: tg, Order: 1}}})
}

// listenerResult is the answer of an action on one listener.
func (s *Server) listenerResult(lb *cloudmock.LoadBalancer, l cloudmock.Listener) listResult {
	return listResult{set: "Listeners", items: []xres{s.toXMLListener(lb, l)}, query: true}
}

// listenerProtocols are those of a Network Load Balancer's listeners.
var listenerProtocols = []string{"TCP", "UDP", "TCP_UDP", "TLS"}

// gatewayListener is how the model holds a Gateway Load Balancer's one
// listener: GENEVE, which runs over UDP 6081 (the API shows neither).
var gatewayListener = cloudmock.Listener{Protocol: "UDP", Port: 6081}

func (s *Server) createListener(c *call) (any, error) {
	lbArn := c.elbRequired("LoadBalancerArn")
	proto, _ := c.p.str("Protocol")
	port := c.elbInt("Port")
	tgArns := c.forwardActions()
	tags := c.p.tagList("Tags.member")
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.mutate("", func(st *state) (any, error) {
		i := s.findLB(&st.spec, lbArn, false)
		if i < 0 {
			return nil, s.lbNotFound(lbArn)
		}
		lb := &st.spec.LoadBalancers[i]
		tgArn, err := s.forwardTarget(&st.spec, lb, tgArns)
		if err != nil {
			return nil, err
		}
		l, err := newListener(lb, proto, port)
		if err != nil {
			return nil, err
		}
		l.TargetGroupArn = tgArn
		for _, o := range lb.Listeners {
			switch {
			case o == l:
				// the same listener again: EC2's idempotent answer
				return s.listenerResult(lb, o), nil
			case o.Port == l.Port || lb.Type == "gateway":
				return nil, elbError(codeDuplicateListener, "A listener already exists on port %d of '%s'", o.Port, lbArn)
			}
		}
		if len(lb.Listeners) >= maxListeners {
			return nil, elbError(codeTooManyListeners, "Load balancer '%s' has the most listeners allowed (%d)", lbArn, maxListeners)
		}
		lb.Listeners = append(lb.Listeners, l) // its group's targets reach lb.Targets in mutate (SyncLoadBalancers)
		if err := st.tags.set(s.listenerArn(lb, l), tags, "Tags"); err != nil {
			return nil, err
		}
		return s.listenerResult(lb, l), nil
	})
}

// forwardActions reads CreateListener's DefaultActions, which may only
// forward, and returns their target groups' ARNs (at least one).
func (c *call) forwardActions() []string {
	var tgArns []string
	for _, n := range c.p.indexes("DefaultActions.member") {
		pre := fmt.Sprintf("DefaultActions.member.%d", n)
		typ := c.elbRequired(pre + ".Type")
		c.p.str(pre + ".Order")
		if c.p.ok() && typ != "forward" {
			c.p.fail(elbError(codeELBValidation, "%s.Type %q: a mirror target's listener can only forward to its target group", pre, typ))
		}
		tgArns = append(tgArns, c.elbRequired(pre+".TargetGroupArn"))
	}
	if c.p.ok() && len(tgArns) == 0 {
		c.p.fail(elbError(codeELBValidation, "1 validation error detected: Value null at 'defaultActions' failed to satisfy constraint: Member must not be null"))
	}
	return tgArns
}

// forwardTarget checks the target groups a listener of lb forwards to
// (one: the model holds one per listener) and returns the one to store
// in the listener: "" for a file's load balancer's own target group.
func (s *Server) forwardTarget(spec *cloudmock.Spec, lb *cloudmock.LoadBalancer, tgArns []string) (string, error) {
	if len(tgArns) > 1 {
		return "", elbError(codeELBValidation, "A listener of a network or gateway load balancer forwards to one target group, not %d", len(tgArns))
	}
	v, ok := s.findTG(spec, tgArns[0])
	switch {
	case !ok:
		return "", s.tgNotFound(tgArns[0])
	case v.own != nil && v.own.LoadBalancerArn != lb.LoadBalancerArn:
		return "", elbError(codeELBValidation, "Target group '%s' belongs to another load balancer", tgArns[0])
	case v.own != nil:
		return "", nil
	case len(v.lbs) > 0 && !slices.Contains(v.lbs, lb.LoadBalancerArn):
		return "", elbError(codeELBValidation, "Target group '%s' is already associated with load balancer '%s'", tgArns[0], v.lbs[0])
	}
	return v.arn, nil
}

// newListener is the listener that CreateListener's Protocol and Port (nil
// when absent) ask of lb: the gateway's fixed one or a checked
// network one.
func newListener(lb *cloudmock.LoadBalancer, proto string, port *int) (cloudmock.Listener, error) {
	if lb.Type == "gateway" {
		if proto != "" || port != nil {
			return cloudmock.Listener{}, elbError(codeELBValidation, "A Gateway Load Balancer's listener takes no Protocol or Port")
		}
		return gatewayListener, nil
	}
	if proto == "" || port == nil {
		return cloudmock.Listener{}, elbError(codeELBValidation, "A Network Load Balancer's listener needs Protocol and Port")
	}
	if !slices.Contains(listenerProtocols, proto) {
		return cloudmock.Listener{}, elbError(codeUnsupportedProtocol, "Protocol %q is not supported by a network load balancer (%s)", proto, strings.Join(listenerProtocols, ", "))
	}
	if *port < 1 || *port > 65535 {
		return cloudmock.Listener{}, elbError(codeELBValidation, "Port %d is not within 1-65535", *port)
	}
	return cloudmock.Listener{Protocol: proto, Port: *port}, nil
}

// findListener finds a listener by ARN: the index of its load balancer and
// its own.
func (s *Server) findListener(spec *cloudmock.Spec, arn string) (int, int) {
	for i := range spec.LoadBalancers {
		lb := &spec.LoadBalancers[i]
		for j, l := range lb.Listeners {
			if s.listenerArn(lb, l) == arn {
				return i, j
			}
		}
	}
	return -1, -1
}

func (s *Server) deleteListener(c *call) (any, error) {
	arn := c.elbRequired("ListenerArn")
	if err := c.begin(); err != nil {
		return nil, err
	}
	// Without a UDP 4789 listener, mirrored traffic to a Network Load
	// Balancer is lost silently: the model's rule, effective at once.
	res, err := c.mutate("", func(st *state) (any, error) {
		i, j := s.findListener(&st.spec, arn)
		if i < 0 {
			return nil, elbError(codeListenerNotFound, "Listener '%s' not found", arn)
		}
		lb := &st.spec.LoadBalancers[i]
		explicit := lb.Listeners[j].TargetGroupArn != ""
		lb.Listeners = slices.Delete(lb.Listeners, j, j+1)
		if explicit {
			lb.Targets = nil // mutate derives them from the groups the remaining listeners forward to
		}
		st.tags.remove(arn)
		return struct{}{}, nil
	})
	if err == nil {
		s.attrs.drop(arn)
	}
	return res, err
}

func (s *Server) describeListeners(c *call) (any, error) {
	lbArn, _ := c.p.str("LoadBalancerArn")
	arns := c.elbList("ListenerArns")
	pg := c.elbPaging()
	if c.p.ok() && (lbArn == "") == (len(arns) == 0) {
		return nil, elbError(codeELBValidation, "Give LoadBalancerArn or ListenerArns, one of them")
	}
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.read(func(spec *cloudmock.Spec, _ tagStore) (any, error) {
		type L struct {
			lb *cloudmock.LoadBalancer
			l  cloudmock.Listener
		}
		var items []L
		if lbArn != "" {
			i := s.findLB(spec, lbArn, false)
			if i < 0 {
				return nil, s.lbNotFound(lbArn)
			}
			lb := &spec.LoadBalancers[i]
			for _, l := range lb.Listeners {
				items = append(items, L{lb, l})
			}
		}
		for _, a := range arns {
			i, j := s.findListener(spec, a)
			if i < 0 {
				return nil, elbError(codeListenerNotFound, "Listener '%s' not found", a)
			}
			lb := &spec.LoadBalancers[i]
			items = append(items, L{lb, lb.Listeners[j]})
		}
		items, next := page(pg, items, func(x L) string { return s.listenerArn(x.lb, x.l) })
		out := listResult{set: "Listeners", next: next, query: true}
		for _, x := range items {
			out.items = append(out.items, s.toXMLListener(x.lb, x.l))
		}
		return out, nil
	})
}
