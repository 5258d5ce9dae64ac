package spec

import "strings"

// ValidationError expects the mirror configuration to be refused: the run
// passes when validation reports a problem with this code (and resource
// and field when given), and builds nothing. It is the one kind that holds
// when nothing ran.
type ValidationError struct {
	Code     string `yaml:"code"`
	Resource string `yaml:"resource"`
	Field    string `yaml:"field"`
}

func (ve *ValidationError) check(k *kindCheck) {
	if ve.Code == "" {
		k.at("", "missing code (the provider's error code, like TrafficMirrorSessionLimitExceeded)")
	}
	if ve.Resource != "" {
		if _, ok := k.s.refs.resourcePath("", ve.Resource); !ok {
			k.at("resource", "no resource named %q", ve.Resource)
		}
	}
}

func (ve *ValidationError) describe() string { return "refused with " + ve.Code }

func (ve *ValidationError) judge(j *judging) {
	j.v.Want = "refused with " + ve.Code
	if ve.Resource != "" {
		j.v.Want += " on " + ve.Resource
	}
	if ve.Field != "" {
		j.v.Want += "." + ve.Field
	}
	var codes []string
	for _, p := range j.o.Validation {
		codes = append(codes, p.Code)
		if p.Code != ve.Code {
			continue
		}
		if ve.Resource != "" && !strings.HasSuffix(p.Resource, " "+ve.Resource) {
			continue
		}
		if ve.Field != "" && p.Field != ve.Field && !strings.HasSuffix(p.Path, "."+ve.Field) {
			continue
		}
		j.v.Passed = true
		j.v.Observed = p.Error()
		return
	}
	if len(codes) == 0 {
		j.v.Observed = "the configuration was accepted"
	} else {
		j.v.Observed = "refused with " + strings.Join(codes, ", ")
	}
}
