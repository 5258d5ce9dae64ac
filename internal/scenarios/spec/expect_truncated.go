package spec

// truncated counts mirrored copies cut by packet length or MTU, by
// session, by target, or by source interface; with none of them, over all
// sessions.
type truncated Mirrored

func (t *truncated) check(k *kindCheck) { (*Mirrored)(t).check(k) }

func (t *truncated) describe() string { return "truncated " + (*Mirrored)(t).where() }

func (t *truncated) judge(j *judging) { j.count(t.Count, (*Mirrored)(t).sessionSum(j, true)) }
