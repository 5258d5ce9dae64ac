package spec

// requests counts the requests an http-server program received.
type requests struct {
	Program string `yaml:"program"`
	Count   `yaml:",inline"`
}

func (r *requests) check(k *kindCheck) {
	k.server("program", r.Program)
	k.count("", &r.Count)
}

func (r *requests) describe() string { return "requests received by " + r.Program }

func (r *requests) judge(j *judging) { j.count(r.Count, int64(len(j.o.Requests[r.Program]))) }
