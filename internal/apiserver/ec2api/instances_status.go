package ec2api

import (
	"encoding/base64"
	"slices"
	"time"
)

// DescribeInstanceStatus and GetConsoleOutput.

type xmlStatusDetail struct {
	Name   string `xml:"name"`
	Status string `xml:"status"`
}

type xmlStatusSummary struct {
	Status  string            `xml:"status"`
	Details []xmlStatusDetail `xml:"details>item"`
}

type xmlInstanceStatus struct {
	InstanceId       string           `xml:"instanceId"`
	AvailabilityZone string           `xml:"availabilityZone"`
	State            xmlInstanceState `xml:"instanceState"`
	InstanceStatus   xmlStatusSummary `xml:"instanceStatus"`
	SystemStatus     xmlStatusSummary `xml:"systemStatus"`
}

// statusSummary is a running instance's status checks: ok once it has
// run for a while (initializing before), not-applicable otherwise.
func statusSummary(code int, settled bool) xmlStatusSummary {
	switch {
	case code != stateRunning:
		return xmlStatusSummary{Status: "not-applicable"}
	case !settled:
		return xmlStatusSummary{Status: "initializing", Details: []xmlStatusDetail{{Name: "reachability", Status: "initializing"}}}
	}
	return xmlStatusSummary{Status: "ok", Details: []xmlStatusDetail{{Name: "reachability", Status: "passed"}}}
}

// describeInstanceStatus answers the status of running instances (all
// with IncludeAllInstances=true), by InstanceId.N, filtered by
// instance-state-name, instance-state-code, availability-zone,
// instance-status.status and system-status.status, paged 5-1000.
func (s *Server) describeInstanceStatus(c *call) (any, error) {
	q, err := c.readDescribePage("InstanceId", 1000, "IncludeAllInstances")
	if err != nil {
		return nil, err
	}
	all := c.p.bool("IncludeAllInstances") // read (and checked) above
	return c.readAll(func(cur *published) (any, error) {
		var items []xmlInstanceStatus
		for _, in := range listInstances(&cur.spec, cur.inst, time.Time{}) {
			if len(q.ids) > 0 && !slices.Contains(q.ids, in.id) {
				continue
			}
			code := s.stateOf(in)
			if code != stateRunning && !all {
				continue
			}
			settled := s.now().Sub(in.rec.since) >= 2*transitionTime
			sum := statusSummary(code, settled)
			items = append(items, xmlInstanceStatus{InstanceId: in.id, AvailabilityZone: s.subnetZone(in.subnetOf()).ZoneName,
				State: stateOfCode(code), InstanceStatus: sum, SystemStatus: sum})
		}
		for _, id := range q.ids {
			if _, err := liveInstance(&cur.spec, cur.inst, id); err != nil {
				return nil, err
			}
		}
		key := func(x xmlInstanceStatus) string { return x.InstanceId }
		items, next, err := filterPage(items, q.fs, q.pg, filterFields[xmlInstanceStatus]{
			"availability-zone":      func(x xmlInstanceStatus) []string { return one(x.AvailabilityZone) },
			"instance-state-name":    func(x xmlInstanceStatus) []string { return one(x.State.Name) },
			"instance-state-code":    func(x xmlInstanceStatus) []string { return num(x.State.Code) },
			"instance-status.status": func(x xmlInstanceStatus) []string { return one(x.InstanceStatus.Status) },
			"system-status.status":   func(x xmlInstanceStatus) []string { return one(x.SystemStatus.Status) },
		}, key, tagStore{})
		if err != nil {
			return nil, err
		}
		return struct {
			Items     []xmlInstanceStatus `xml:"instanceStatusSet>item"`
			NextToken string              `xml:"nextToken,omitempty"`
		}{items, next}, nil
	})
}

type consoleOutputResult struct {
	InstanceId string `xml:"instanceId"`
	Timestamp  string `xml:"timestamp"`
	Output     string `xml:"output"`
}

// getConsoleOutput answers what the instance's user data has written
// (Config.ConsoleOutput; empty without it), base64-encoded as EC2 does.
func (s *Server) getConsoleOutput(c *call) (any, error) {
	id := c.p.required("InstanceId")
	c.p.bool("Latest")
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.readAll(func(cur *published) (any, error) {
		_, err := liveInstance(&cur.spec, cur.inst, id)
		if err != nil {
			return nil, err
		}
		var out []byte
		if s.cfg.ConsoleOutput != nil {
			if out, err = s.cfg.ConsoleOutput(id); err != nil {
				return nil, internalError("console output of %s: %v", id, err)
			}
		}
		return consoleOutputResult{InstanceId: id, Timestamp: s.now().UTC().Format(time.RFC3339),
			Output: base64.StdEncoding.EncodeToString(out)}, nil
	})
}
