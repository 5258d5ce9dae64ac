package spec

// Command is the argv of any program, run inside the sending instance; its
// traffic is not known before it runs.
type Command []string

func (c *Command) check(*kindCheck) {}

func (c *Command) describe(from string) string { return from }

// empty: command: [] is no command.
func (c *Command) empty() bool { return len(*c) == 0 }
