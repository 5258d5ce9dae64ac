package sim

import (
	"errors"
	"slices"
	"sync"
	"testing"
)

// TestConfigurerRunsAnInstancesJobsInOrder: an instance's jobs run in
// the order given, one after the other (an ENI's routes may depend on
// the one before); a failure stops that instance's jobs and is kept, once,
// for that instance only; discarded jobs never run.
func TestConfigurerRunsAnInstancesJobsInOrder(t *testing.T) {
	c := newConfigurer()
	var mu sync.Mutex
	ran := map[string][]int{}
	job := func(name string, i int, err error) func() error {
		return func() error {
			mu.Lock()
			ran[name] = append(ran[name], i)
			mu.Unlock()
			return err
		}
	}
	ins := map[string]*Instance{}
	boom := errors.New("boom")
	for _, name := range []string{"a", "b", "c", "d", "e", "f"} {
		ins[name] = &Instance{Name: name}
		for i := range 3 {
			var err error
			if name == "c" && i == 1 {
				err = boom
			}
			c.do(job(name, i, err))
		}
		if name == "e" {
			c.discard()
			continue
		}
		c.start(ins[name])
	}
	failed := c.wait()
	if len(failed) != 1 || !errors.Is(failed[ins["c"]], boom) {
		t.Errorf("failed %v, want c's boom only", failed)
	}
	for name, want := range map[string][]int{"a": {0, 1, 2}, "c": {0, 1}, "e": nil, "f": {0, 1, 2}} {
		if !slices.Equal(ran[name], want) {
			t.Errorf("%s ran jobs %v, want %v", name, ran[name], want)
		}
	}
}
