package spec

// Requests counts the requests an http-server program received.
type Requests struct {
	Program string `yaml:"program"`
	Count   `yaml:",inline"`
}

func (r *Requests) check(k *kindCheck) {
	k.server("program", r.Program)
	k.count("", &r.Count)
}

func (r *Requests) describe() string { return "requests received by " + r.Program }

func (r *Requests) judge(j *judging) { j.count(r.Count, int64(len(j.o.Requests[r.Program]))) }
