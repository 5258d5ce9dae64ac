package ec2api

import (
	"errors"
	"slices"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// TerminateInstances, StopInstances and StartInstances. The model changes
// at once (a terminated instance leaves it, its interfaces that go with
// it too, the others are detached; a stopped one is State stopped); what
// EC2 shows moves on the clock (instances_clock.go).

const codeOperationNotPermitted = "OperationNotPermitted"

type xmlStateChange struct {
	InstanceId    string           `xml:"instanceId"`
	CurrentState  xmlInstanceState `xml:"currentState"`
	PreviousState xmlInstanceState `xml:"previousState"`
}

type terminateInstancesResult struct {
	Instances []xmlStateChange `xml:"instancesSet>item"`
}

type stopInstancesResult struct {
	Instances []xmlStateChange `xml:"instancesSet>item"`
}

type startInstancesResult struct {
	Instances []xmlStateChange `xml:"instancesSet>item"`
}

func stateOfCode(code int) xmlInstanceState {
	return xmlInstanceState{Code: code, Name: stateNames[code]}
}

// changeInstances runs fn on each instance of InstanceId.N (required) in
// one mutation and answers the state changes. The action has read its
// other parameters.
func (s *Server) changeInstances(c *call, fn func(st *state, in *instance, now int) (int, error)) ([]xmlStateChange, error) {
	ids := c.p.requiredList("InstanceId")
	if err := c.begin(); err != nil {
		return nil, err
	}
	res, err := c.mutate("", func(st *state) (any, error) {
		var out []xmlStateChange
		for _, id := range ids {
			all := listInstances(&st.spec, st.inst, s.now())
			k := slices.IndexFunc(all, func(in *instance) bool { return in.id == id })
			if k < 0 {
				return nil, notFound(codeInstanceNotFound, "instance ID", id)
			}
			before := stateCode(all[k].model, all[k].rec, s.now())
			after, err := fn(st, all[k], before)
			if err != nil {
				return nil, err
			}
			out = append(out, xmlStateChange{InstanceId: id, CurrentState: stateOfCode(after), PreviousState: stateOfCode(before)})
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	return res.([]xmlStateChange), nil
}

// readStateChange reads the flags of Stop/Terminate that change nothing
// here (Force, SkipOsShutdown; Hibernate must be false).
func (c *call) readStateChange(flags ...string) error {
	for _, f := range flags {
		on := c.p.bool(f)
		if on && f != "Force" && f != "SkipOsShutdown" {
			return errorf(codeUnsupported, "%s=true is not supported here.", f)
		}
	}
	return c.p.Err()
}

func (s *Server) terminateInstances(c *call) (any, error) {
	if err := c.readStateChange("SkipOsShutdown"); err != nil {
		return nil, err
	}
	out, err := s.changeInstances(c, func(st *state, in *instance, now int) (int, error) {
		if in.rec.gone != nil {
			return now, nil // already terminated: EC2 answers it again
		}
		if in.model != nil && in.model.DisableApiTermination {
			return 0, errorf(codeOperationNotPermitted, "The instance '%s' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.", in.id)
		}
		return stateShuttingDown, s.terminate(st, in)
	})
	var ae *apiError
	if errors.As(err, &ae) && ae.Cause != nil && ae.Cause.Code == codes.NetworkInterfaceNotFound {
		// an interface that goes with the instance is still used (a mirror
		// session's source, a target, a load balancer's target)
		return nil, errorf(codeDependencyViolation, "A network interface of the instance is in use by %s %s.", ae.Cause.Resource, ae.Cause.ID)
	}
	if err != nil {
		return nil, err
	}
	return terminateInstancesResult{Instances: out}, nil
}

// terminate takes an instance out of the model, deletes its interfaces
// that go with it and detaches the others, and keeps its record.
func (s *Server) terminate(st *state, in *instance) error {
	gone := &goneInstance{subnet: in.subnetOf(), vpc: s.vpcOf(&st.spec, in), tags: st.tags.get(in.id)}
	if in.model != nil {
		gone.inst = *in.model
	} else {
		gone.inst = cloudmock.Instance{InstanceId: in.id, InstanceType: instanceTypeOf(in)}
	}
	if p := in.primary(); p != nil {
		gone.primaryIP, gone.eni = p.PrivateIpAddress, p.NetworkInterfaceId
	}
	if k := st.spec.FindInstance(in.id); k >= 0 {
		st.spec.Instances = slices.Delete(st.spec.Instances, k, k+1)
	}
	var kept []cloudmock.NetworkInterface
	for _, e := range st.spec.NetworkInterfaces {
		switch {
		case e.InstanceId != in.id:
		case deleteOnTermination(&e):
			st.tags.remove(e.NetworkInterfaceId)
			continue
		default:
			e.InstanceId, e.InstanceType, e.Attachment = "", "", nil
		}
		kept = append(kept, e)
	}
	st.spec.NetworkInterfaces = kept
	st.tags.remove(in.id)
	st.tags.remove(derivedID("vol", in.id)) // its root volume goes with it
	now := s.now()
	st.updateRecord(in, func(r *instRecord) { r.gone, r.since, r.reason = gone, now, userInitiated(now) })
	return nil
}

func (s *Server) stopInstances(c *call) (any, error) {
	if err := c.readStateChange("Force", "Hibernate"); err != nil {
		return nil, err
	}
	out, err := s.changeInstances(c, func(st *state, in *instance, now int) (int, error) {
		m, err := modelOf(st, in)
		if err != nil {
			return 0, err
		}
		switch {
		case now == stateStopped || now == stateStopping:
			return now, nil
		case now != stateRunning:
			return 0, errorf(codes.IncorrectInstanceState, "The instance '%s' is not in a state from which it can be stopped.", in.id)
		case m.DisableApiStop:
			return 0, errorf(codeOperationNotPermitted, "The instance '%s' may not be stopped. Modify its 'disableApiStop' instance attribute and try again.", in.id)
		}
		m.State = cloudmock.InstanceStopped
		t := s.now()
		st.updateRecord(in, func(r *instRecord) { r.since, r.reason = t, userInitiated(t) })
		return stateStopping, nil
	})
	return stopInstancesResult{Instances: out}, err
}

func (s *Server) startInstances(c *call) (any, error) {
	c.p.str("AdditionalInfo") // accepted, as EC2 ignores it
	out, err := s.changeInstances(c, func(st *state, in *instance, now int) (int, error) {
		m, err := modelOf(st, in)
		if err != nil {
			return 0, err
		}
		switch {
		case now == stateRunning || now == statePending:
			return now, nil
		case now != stateStopped:
			return 0, errorf(codes.IncorrectInstanceState, "The instance '%s' is not in a state from which it can be started.", in.id)
		}
		m.State = cloudmock.InstanceRunning
		st.updateRecord(in, func(r *instRecord) { r.since, r.reason = s.now(), "" })
		return statePending, nil
	})
	return startInstancesResult{Instances: out}, err
}

// modelOf is the state's model entry of a live instance; a scenario's
// instance (no entry) or a terminated one cannot change state.
func modelOf(st *state, in *instance) (*cloudmock.Instance, error) {
	if in.rec.gone != nil {
		return nil, errorf(codes.IncorrectInstanceState, "The instance '%s' is terminated.", in.id)
	}
	k := st.spec.FindInstance(in.id)
	if k < 0 {
		return nil, errorf(codeUnsupported, "The instance '%s' comes from the scenario file, which does not say how it runs: it cannot be stopped or started.", in.id)
	}
	return &st.spec.Instances[k], nil
}

type xmlMonitoring struct {
	InstanceId string   `xml:"instanceId"`
	Monitoring xmlState `xml:"monitoring"`
}

func (s *Server) monitorInstances(c *call) (any, error)   { return s.setMonitoring(c, true) }
func (s *Server) unmonitorInstances(c *call) (any, error) { return s.setMonitoring(c, false) }

// setMonitoring turns detailed monitoring on or off (shown, not emulated:
// nothing here reads CloudWatch metrics).
func (s *Server) setMonitoring(c *call, on bool) (any, error) {
	ids := c.p.requiredList("InstanceId")
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.mutate("", func(st *state) (any, error) {
		var out []xmlMonitoring
		for _, id := range ids {
			in, err := liveInstance(&st.spec, st.inst, id)
			if err != nil {
				return nil, err
			}
			st.updateRecord(in, func(r *instRecord) { r.monitored = on })
			state := map[bool]string{true: "pending", false: "disabling"}[on]
			out = append(out, xmlMonitoring{InstanceId: id, Monitoring: xmlState{State: state}})
		}
		return struct {
			Items []xmlMonitoring `xml:"instancesSet>item"`
		}{out}, nil
	})
}

// modifyInstanceMetadataOptions changes the metadata options an instance
// shows (nothing here serves instance metadata).
func (s *Server) modifyInstanceMetadataOptions(c *call) (any, error) {
	id := c.p.required("InstanceId")
	var changes xmlMetadataOptions
	if err := readMetadataOptions(c.p, "", &changes); err != nil {
		return nil, err
	}
	return c.changeInstance(id, func(st *state, in *instance) (any, error) {
		rec := in.rec
		if rec.meta == (xmlMetadataOptions{}) {
			rec.meta = defaultMetadataOptions // a scenario's instance
		}
		for _, f := range []struct {
			dst *string
			v   string
		}{
			{&rec.meta.HttpTokens, changes.HttpTokens}, {&rec.meta.HttpEndpoint, changes.HttpEndpoint},
			{&rec.meta.HttpProtocolIpv6, changes.HttpProtocolIpv6}, {&rec.meta.InstanceMetadataTags, changes.InstanceMetadataTags},
		} {
			if f.v != "" {
				*f.dst = f.v
			}
		}
		if changes.HttpPutResponseHopLimit != 0 {
			rec.meta.HttpPutResponseHopLimit = changes.HttpPutResponseHopLimit
		}
		st.putRecord(id, rec)
		shown := rec.meta
		shown.State = "pending"
		return struct {
			InstanceId string             `xml:"instanceId"`
			Options    xmlMetadataOptions `xml:"instanceMetadataOptions"`
		}{id, shown}, nil
	})
}

// changeInstance begins (the action has read its parameters) and runs fn
// on a live instance in one mutation.
func (c *call) changeInstance(id string, fn func(st *state, in *instance) (any, error)) (any, error) {
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.mutate("", func(st *state) (any, error) {
		in, err := liveInstance(&st.spec, st.inst, id)
		if err != nil {
			return nil, err
		}
		return fn(st, in)
	})
}
