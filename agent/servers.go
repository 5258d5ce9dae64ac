package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

type servers struct {
	list []*http.Server
}

func (s *servers) close() error {
	var errs []error
	for _, srv := range s.list {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
		cancel()
	}
	return errors.Join(errs...)
}

func (a *Agent) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(a.Stats()) // the client went away: nothing to do
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
	return mux
}

// listen opens a TCP listener through InNamespace.
func (a *Agent) listen(addr string) (net.Listener, error) {
	var l net.Listener
	err := a.cfg.inNS(func() error {
		var err error
		l, err = net.Listen("tcp", addr)
		return err
	})
	return l, err
}

// startServers opens the health-check and metrics listeners.
func (a *Agent) startServers() (*servers, error) {
	s := &servers{}
	serve := func(name, addr string, h http.Handler) error {
		l, err := a.listen(addr)
		if err != nil {
			return fmt.Errorf("%s listener %s: %w", name, addr, err)
		}
		a.setAddr(name, l.Addr())
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
		s.list = append(s.list, srv)
		go func() {
			if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				a.log.Error(name+" listener stopped", "err", err)
			}
		}()
		return nil
	}
	if addr := a.cfg.HealthAddr; addr != "" || a.cfg.HealthPort > 0 {
		if addr == "" {
			addr = ":" + strconv.Itoa(a.cfg.HealthPort)
		}
		// An NLB TCP check only needs the handshake; an HTTP check gets 200.
		h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
		if err := serve("health", addr, h); err != nil {
			return s, err
		}
	}
	if a.cfg.MetricsAddr != "" {
		if err := serve("metrics", a.cfg.MetricsAddr, a.handler()); err != nil {
			return s, err
		}
	}
	return s, nil
}
