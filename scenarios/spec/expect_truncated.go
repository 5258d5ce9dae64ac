package spec

// Truncated counts mirrored copies cut by packet length or MTU, by
// session, by target, or by source interface; with none of them, over all
// sessions.
type Truncated Mirrored

func (t *Truncated) check(k *kindCheck) { (*Mirrored)(t).check(k) }

func (t *Truncated) describe() string { return "truncated " + (*Mirrored)(t).where() }

func (t *Truncated) judge(j *judging) { j.count(t.Count, (*Mirrored)(t).sessionSum(j, true)) }
