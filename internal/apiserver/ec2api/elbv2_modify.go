package ec2api

import (
	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// Listener attributes (DescribeListenerAttributes, which the provider
// reads for every listener but TLS, and ModifyListenerAttributes) and
// ModifyTargetGroup (a created group's health check).

// tcpListenerAttrs are a network load balancer's TCP listener's; its
// other listeners have none.
var tcpListenerAttrs = []attrDef{intAttr("tcp.idle_timeout.seconds", "350", 60, 6000)}

func listenerAttrDefs(l cloudmock.Listener) []attrDef {
	if l.Protocol == "TCP" {
		return tcpListenerAttrs
	}
	return nil
}

func (s *Server) listenerAttrs(modify bool) actionFunc {
	return func(c *call) (any, error) {
		arn, set, err := c.readAttrsOf("ListenerArn", modify)
		if err != nil {
			return nil, err
		}
		return c.read(func(spec *cloudmock.Spec, _ tagStore) (any, error) {
			i, j := s.findListener(spec, arn)
			if i < 0 {
				return nil, elbError(codeListenerNotFound, "Listener '%s' not found", arn)
			}
			defs := listenerAttrDefs(spec.LoadBalancers[i].Listeners[j])
			if err := checkAttrs(set, defs); err != nil {
				return nil, err
			}
			s.attrs.set(arn, set)
			return attrsResult{Attributes: s.attrs.list(arn, defs)}, nil
		})
	}
}

func (s *Server) modifyTargetGroup(c *call) (any, error) {
	arn := c.elbRequired("TargetGroupArn")
	hc := c.readHealthCheck("") // only the settings given count (mergeHealthCheck)
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.mutate("", func(st *state) (any, error) {
		i := findModelTG(&st.spec, arn)
		if i < 0 {
			if _, own := s.findTG(&st.spec, arn); own {
				return nil, elbError(codeELBValidation, "Target group '%s' is a scenario file's load balancer's own: its health check is the file's", arn)
			}
			return nil, s.tgNotFound(arn)
		}
		tg := &st.spec.TargetGroups[i]
		old := defaultHealthCheck(tg.Protocol)
		if tg.HealthCheck != nil {
			old = *tg.HealthCheck
		}
		hc = mergeHealthCheck(old, hc, c)
		tg.HealthCheck = &hc
		v, _ := s.findTG(&st.spec, arn)
		return tgResult(v), nil
	})
}

// mergeHealthCheck keeps a group's settings that the request leaves out
// (read gave them the protocol's defaults).
func mergeHealthCheck(old, req cloudmock.HealthCheck, c *call) cloudmock.HealthCheck {
	out := old
	given := func(name string) bool { _, ok := c.p.str(name); return ok }
	if given("HealthCheckEnabled") {
		out.Enabled = req.Enabled
	}
	for name, f := range map[string]func(){
		"HealthCheckProtocol": func() { out.Protocol = req.Protocol }, "HealthCheckPort": func() { out.Port = req.Port },
		"HealthCheckPath": func() { out.Path = req.Path }, "Matcher.HttpCode": func() { out.Matcher = req.Matcher },
		"HealthCheckIntervalSeconds": func() { out.IntervalSeconds = req.IntervalSeconds }, "HealthCheckTimeoutSeconds": func() { out.TimeoutSeconds = req.TimeoutSeconds },
		"HealthyThresholdCount": func() { out.HealthyThreshold = req.HealthyThreshold }, "UnhealthyThresholdCount": func() { out.UnhealthyThreshold = req.UnhealthyThreshold },
	} {
		if given(name) {
			f()
		}
	}
	return out
}
