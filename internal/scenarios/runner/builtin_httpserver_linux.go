package runner

import (
	"context"
	"fmt"
	"strconv"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/workload"
	"github.com/mirrorlab/mirrorlab/lab"
)

// httpServer is the built-in http-server: it answers and records every
// request (requests, sameRequests and sameResponses read them).
type httpServer struct{ inProcess }

func (httpServer) checkArgs(args []string) error {
	_, err := workload.ParseServerArgs(args)
	return err
}

func (httpServer) start(_ context.Context, p *program) (running, error) {
	cfg, err := workload.ParseServerArgs(p.spec.Args)
	if err != nil {
		return nil, err
	}
	ln, err := instanceNet(p.inst).Listen("tcp", ":"+strconv.Itoa(cfg.Port))
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	srv := workload.NewServer(cfg, p.out)
	srv.Start(ln)
	return httpServerRun{srv: srv}, nil
}

// httpServerRun is a started http-server.
type httpServerRun struct {
	serving
	srv *workload.Server
}

func (h httpServerRun) close() error { return h.srv.Close() }

func (h httpServerRun) result(pr *report.ProgramResult, o *report.Observations) {
	reqs := h.srv.Requests()
	o.Requests[pr.Name] = reqs
	pr.Requests = len(reqs)
}

func (h httpServerRun) status(name string, st *lab.Status) {
	if st.Servers == nil {
		st.Servers = map[string]int{}
	}
	st.Servers[name] = len(h.srv.Requests())
}
