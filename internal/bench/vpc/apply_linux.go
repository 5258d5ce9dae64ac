package vpc

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/apiserver/ec2api"
	"github.com/mirrorlab/mirrorlab/internal/sim"
	"github.com/mirrorlab/mirrorlab/lab"
)

// ApplyLatency measures, n times, how long a configuration change takes to
// show at the target through the EC2 Query API, as `mirrorlab serve` wires
// it: with a datagram every 200 µs from the client to production, the time
// from a CreateTrafficMirrorSession request (production's ENI to the
// adapter, VNI MirrorVNI) to the first copy at the adapter's UDP 4789.
// After each, DeleteTrafficMirrorSession and a quiet period (not timed).
// The bench's own mirror service is stopped meanwhile and restarted after
// if it was running; the API listens on loopback only.
func (e *Env) ApplyLatency(ctx context.Context, n int) (_ []time.Duration, err error) {
	running := e.lab.Service() != nil
	if err := e.StopMirror(); err != nil {
		return nil, err
	}
	if err := e.ReleaseMirrorPort(); err != nil {
		return nil, err
	}
	defer func() {
		if running {
			err = errors.Join(err, e.StartMirror(ctx))
		}
	}()
	endpoint, ids, closeAPI, err := e.serveAPI(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, closeAPI()) }()

	rx, err := listenUDP(e.Adapter, VXLANPort)
	if err != nil {
		return nil, err
	}
	defer rx.Close()
	tx, err := listenUDP(e.Client, 0)
	if err != nil {
		return nil, err
	}
	defer tx.Close()
	stop := make(chan struct{})
	sent := make(chan struct{})
	dst := netip.AddrPortFrom(ENI(e.Prod).IP, SinkPort)
	go func() {
		defer close(sent)
		tick := time.NewTicker(200 * time.Microsecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				_, _ = tx.WriteToUDPAddrPort([]byte("apply-latency"), dst)
			}
		}
	}()
	defer func() { close(stop); <-sent }()

	create := url.Values{"Action": {"CreateTrafficMirrorSession"}, "Version": {"2016-11-15"},
		"NetworkInterfaceId": {ids["eni-"+Prod]}, "TrafficMirrorTargetId": {ids["tmt-adapter"]},
		"TrafficMirrorFilterId": {ids["tmf-bench"]}, "SessionNumber": {"1"}, "VirtualNetworkId": {strconv.Itoa(MirrorVNI)}}
	buf := make([]byte, 65536)
	var out []time.Duration
	for range n {
		drain(rx, buf)
		t0 := time.Now()
		var res struct {
			Session struct {
				ID string `xml:"trafficMirrorSessionId"`
			} `xml:"trafficMirrorSession"`
		}
		if err := call(ctx, endpoint, create, &res); err != nil {
			return out, err
		}
		_ = rx.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, _, err := rx.ReadFromUDPAddrPort(buf); err != nil {
			return out, fmt.Errorf("apply latency: no copy at the adapter 2 s after CreateTrafficMirrorSession: %w", err)
		}
		out = append(out, time.Since(t0))
		del := url.Values{"Action": {"DeleteTrafficMirrorSession"}, "Version": {"2016-11-15"}, "TrafficMirrorSessionId": {res.Session.ID}}
		if err := call(ctx, endpoint, del, nil); err != nil {
			return out, err
		}
		time.Sleep(30 * time.Millisecond) // copies in flight arrive
	}
	return out, nil
}

// serveAPI starts the lab's mirror service on the bench's configuration
// without sessions, with AWS-shaped ids (ids maps the bench's names to
// them), and the EC2 API over it on loopback, as `mirrorlab serve` wires
// them. closeAPI stops both.
func (e *Env) serveAPI(ctx context.Context) (endpoint string, ids map[string]string, closeAPI func() error, err error) {
	base := MirrorSpec(e.Lab, false)
	base.TrafficMirrorSessions = nil
	served, names := ec2api.AssignIDs(base, "bench")
	ids = map[string]string{}
	for id, name := range names {
		ids[name] = id
	}
	// The served ENIs keep their addresses: the lab finds them by address.
	if err := e.lab.Apply(ctx, lab.StartMirror{Mirror: lab.Mirror{Spec: served, AllENIs: true}}); err != nil {
		return "", nil, nil, fmt.Errorf("apply latency: start the mirror service: %w", err)
	}
	apply := func(s cloudmock.Spec) error { return e.lab.Apply(ctx, lab.SetSpec{Spec: s}) }
	api, err := ec2api.New(ec2api.Config{Spec: served, Names: names, Apply: apply, Seed: 1})
	if err != nil {
		return "", nil, nil, errors.Join(fmt.Errorf("apply latency: api server: %w", err), e.StopMirror())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, nil, errors.Join(fmt.Errorf("apply latency: listen on loopback: %w", err), e.StopMirror())
	}
	hs := &http.Server{Handler: api, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	closeAPI = func() error { return errors.Join(hs.Close(), e.StopMirror()) }
	return "http://" + ln.Addr().String() + "/", ids, closeAPI, nil
}

// call posts one EC2 Query API request and decodes the answer into v (nil:
// only its status is checked).
func call(ctx context.Context, endpoint string, form url.Values, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("apply latency: %s: %w", form.Get("Action"), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("apply latency: %s: read answer: %w", form.Get("Action"), err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("apply latency: %s: %s: %s", form.Get("Action"), resp.Status, strings.TrimSpace(string(body)))
	}
	if v != nil {
		if err := xml.Unmarshal(body, v); err != nil {
			return fmt.Errorf("apply latency: %s: decode answer: %w", form.Get("Action"), err)
		}
	}
	return nil
}

// listenUDP opens a UDP socket bound to port (0: any) inside an instance.
func listenUDP(in *sim.Instance, port int) (*net.UDPConn, error) {
	var c *net.UDPConn
	err := in.Run(func() error {
		var err error
		c, err = net.ListenUDP("udp4", &net.UDPAddr{Port: port})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("udp port %d in %s: %w", port, in.Name, err)
	}
	return c, nil
}

// drain reads whatever is queued on c without waiting.
func drain(c *net.UDPConn, buf []byte) {
	for {
		_ = c.SetReadDeadline(time.Now().Add(time.Millisecond))
		if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
			return
		}
	}
}
