package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/sys/unix"

	"github.com/mirrorlab/mirrorlab/internal/nsrun"
	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/mirrorlab/mirrorlab/lab"
)

// awsCLI is one aws command line found on this machine.
type awsCLI struct {
	path    string
	version string // "aws-cli/2.9.19 ..."
	v2      bool
}

// awsCLIs finds the aws CLIs present: the first on the PATH (the machine
// image's v1 from pip) and Debian's /usr/bin/aws (v2), each once. None is
// a skip, or a failure under MIRRORLAB_REQUIRE_PRIVILEGED=1.
func awsCLIs(t *testing.T) []awsCLI {
	t.Helper()
	var out []awsCLI
	seen := map[string]bool{}
	cands := []string{"/usr/bin/aws"}
	if p, err := exec.LookPath("aws"); err == nil {
		cands = append([]string{p}, cands...)
	}
	for _, p := range cands {
		real, err := filepath.EvalSymlinks(p)
		if err != nil || seen[real] {
			continue
		}
		b, err := exec.Command(p, "--version").CombinedOutput()
		if err != nil {
			t.Logf("%s --version: %v: %s", p, err, b)
			continue
		}
		v := strings.TrimSpace(string(b))
		// A pyenv shim resolves to the same script for every version:
		// tell the CLIs apart by what they report.
		if seen[v] {
			continue
		}
		seen[real], seen[v] = true, true
		out = append(out, awsCLI{path: p, version: v, v2: strings.HasPrefix(v, "aws-cli/2.")})
	}
	if len(out) == 0 {
		msg := "no aws CLI found (neither aws on the PATH nor /usr/bin/aws; make deps installs Debian's awscli)"
		if os.Getenv(privtest.EnvRequire) == "1" {
			t.Fatalf("%s, and %s=1 forbids skipping", msg, privtest.EnvRequire)
		}
		t.Skip(msg)
	}
	return out
}

// awsEnv is the aws CLI's environment: the caller's without any AWS_
// setting, plus dummy credentials, the region, no config or credentials
// file, no pager and no instance metadata; HOME is a fresh directory.
func awsEnv(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	return append(env, "HOME="+home, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true")
}

// awsEC2 runs `aws ec2 ARGS... --output json` against endpoint only and
// decodes its answer.
func awsEC2(t *testing.T, cli awsCLI, home, endpoint string, args ...string) map[string]any {
	t.Helper()
	full := []string{"--endpoint-url", endpoint, "--region", "us-east-1", "--output", "json"}
	if cli.v2 {
		full = append(full, "--no-cli-pager") // v1 has no such option (and no pager)
	}
	full = append(append(full, "ec2"), args...)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, cli.path, full...)
	cmd.Env = awsEnv(home)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("aws ec2 %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	t.Logf("aws ec2 %s (%.1fs)", args[0], time.Since(start).Seconds())
	var out map[string]any
	if stdout.Len() > 0 {
		if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
			t.Fatalf("aws ec2 %s: not JSON: %v\n%s", args[0], err, stdout.String())
		}
	}
	return out
}

// str digs a string out of decoded JSON: keys are map keys, ints are
// list indexes.
func str(t *testing.T, v any, path ...any) string {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%v: not an object at %q", v, k)
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || len(l) <= k {
				t.Fatalf("%v: no element %d", v, k)
			}
			v = l[k]
		}
	}
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%v at %v is not a string", v, path)
	}
	return s
}

// vxlanCapture is an independent AF_PACKET capture on an instance's eth0:
// the VXLAN datagrams that arrived there, with their VNI and the inner TCP
// payload.
type vxlanCapture struct {
	mu     sync.Mutex
	copies []vxlanCopy
}

type vxlanCopy struct {
	vni     uint32
	dport   uint16
	payload string
	// innerLen is the inner frame's length; udpDst the inner UDP
	// datagram's destination (address:port), for UDP copies.
	innerLen int
	udpDst   string
}

func captureVXLAN(t *testing.T, ns string) *vxlanCapture {
	t.Helper()
	var fd int
	err := nsrun.RunNamed(ns, func() error {
		var err error
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
		if err != nil {
			return err
		}
		ifi, err := net.InterfaceByName("eth0")
		if err != nil {
			return err
		}
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
			return err
		}
		tv := unix.NsecToTimeval(int64(50 * time.Millisecond))
		return unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	})
	if err != nil {
		t.Fatalf("capture in %s: %v", ns, err)
	}
	c := &vxlanCapture{}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65536)
		for {
			select {
			case <-stop:
				return
			default:
			}
			n, from, err := unix.Recvfrom(fd, buf, 0)
			if err != nil {
				continue
			}
			if ll, ok := from.(*unix.SockaddrLinklayer); !ok || ll.Pkttype == unix.PACKET_OUTGOING {
				continue
			}
			if cp, ok := decodeVXLAN(buf[:n]); ok {
				c.mu.Lock()
				c.copies = append(c.copies, cp)
				c.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done; unix.Close(fd) })
	return c
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func decodeVXLAN(frame []byte) (vxlanCopy, bool) {
	p := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.Default)
	u, ok := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
	if !ok || u.DstPort != 4789 || len(u.Payload) < 8 {
		return vxlanCopy{}, false
	}
	cp := vxlanCopy{vni: binary.BigEndian.Uint32(u.Payload[4:8]) >> 8}
	inner := gopacket.NewPacket(u.Payload[8:], layers.LayerTypeEthernet, gopacket.Default)
	if tcp, ok := inner.Layer(layers.LayerTypeTCP).(*layers.TCP); ok {
		cp.dport, cp.payload = uint16(tcp.DstPort), string(tcp.Payload)
	}
	cp.innerLen = len(u.Payload) - 8
	if ip, ok := inner.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
		if iu, ok := inner.Layer(layers.LayerTypeUDP).(*layers.UDP); ok {
			cp.udpDst = fmt.Sprintf("%s:%d", ip.DstIP, iu.DstPort)
		}
	}
	return cp, true
}

func (c *vxlanCapture) reset() {
	c.mu.Lock()
	c.copies = nil
	c.mu.Unlock()
}

func (c *vxlanCapture) snapshot() []vxlanCopy {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]vxlanCopy(nil), c.copies...)
}

// httpFromClient sends n HTTP requests (one connection each) from inside
// the client namespace to the web server, paths /e2e/<round>-<i>, and
// checks each is answered 200.
func httpFromClient(t *testing.T, ns, round string, n int) []string {
	t.Helper()
	var paths []string
	for i := range n {
		path := fmt.Sprintf("/e2e/%s-%d", round, i)
		var conn net.Conn
		err := nsrun.RunNamed(ns, func() (err error) {
			conn, err = net.DialTimeout("tcp4", "10.0.0.5:80", 5*time.Second)
			return err
		})
		if err != nil {
			t.Fatalf("connect from the client to the web server: %v", err)
		}
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: 10.0.0.5\r\nConnection: close\r\n\r\n", path)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			conn.Close()
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		conn.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		paths = append(paths, path)
	}
	return paths
}

// mirroredRequests waits up to wait for copies carrying each request line
// and returns the VNIs of the copies that carry one of them.
func mirroredRequests(c *vxlanCapture, paths []string, wait time.Duration) (found map[string]uint32) {
	deadline := time.Now().Add(wait)
	for {
		found = map[string]uint32{}
		for _, cp := range c.snapshot() {
			for _, p := range paths {
				if cp.dport == 80 && strings.HasPrefix(cp.payload, "GET "+p+" ") {
					found[p] = cp.vni
				}
			}
		}
		if len(found) == len(paths) || time.Now().After(deadline) {
			return found
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPrivilegedServeAWSCLI drives mirrorlab serve with the real aws CLI
// (each one present): on a lab with no mirror session, it creates a filter,
// an accept rule for inbound TCP 80, a target on the adapter's ENI (found
// by its Name tag) and a session with VNI 42 on the web server's ENI; HTTP
// requests from the client then arrive at the adapter as VXLAN copies with
// VNI 42 (seen by an independent AF_PACKET capture there); with the rule
// changed to reject they stop; accepted again they resume; with the session
// deleted they stop. The aws CLI talks only to the loopback endpoint.
func TestPrivilegedServeAWSCLI(t *testing.T) {
	privtest.Require(t)
	for _, cli := range awsCLIs(t) {
		name := "v1"
		if cli.v2 {
			name = "v2"
		}
		t.Run(name, func(t *testing.T) {
			t.Logf("%s: %s", cli.path, cli.version)
			testServeAWSCLI(t, cli)
		})
	}
}

func testServeAWSCLI(t *testing.T, cli awsCLI) {
	dir := t.TempDir()
	t0 := time.Now()
	ep, _ := startServe(t, filepath.Join("testdata", "serve-e2e.yaml"), serveOpts{stateDir: dir})
	l, err := lab.Choose(dir, "")
	if err != nil {
		t.Fatalf("the served lab is not recorded for exec: %v", err)
	}
	info := l.Record.Info
	t.Logf("lab %s served on %s after %.1fs", info.RunID, ep, time.Since(t0).Seconds())
	home := t.TempDir()
	ec2 := func(args ...string) map[string]any { t.Helper(); return awsEC2(t, cli, home, ep, args...) }
	capture := captureVXLAN(t, info.Instances["adapter"])

	// Nothing is mirrored before the API is used.
	paths := httpFromClient(t, info.Instances["client"], "before", 3)
	if got := mirroredRequests(capture, paths, 500*time.Millisecond); len(got) != 0 {
		t.Fatalf("copies before any session: %v", got)
	}

	tStart := time.Now()
	filter := str(t, ec2("create-traffic-mirror-filter", "--description", "e2e"), "TrafficMirrorFilter", "TrafficMirrorFilterId")
	rule := str(t, ec2("create-traffic-mirror-filter-rule", "--traffic-mirror-filter-id", filter,
		"--traffic-direction", "ingress", "--rule-number", "100", "--rule-action", "accept", "--protocol", "6",
		"--destination-port-range", "FromPort=80,ToPort=80",
		"--source-cidr-block", "0.0.0.0/0", "--destination-cidr-block", "0.0.0.0/0"),
		"TrafficMirrorFilterRule", "TrafficMirrorFilterRuleId")
	enis := ec2("describe-network-interfaces", "--filters", "Name=tag:Name,Values=adapter-eni,web-eni")
	byName := map[string]string{}
	list, _ := enis["NetworkInterfaces"].([]any)
	for i := range list {
		for _, tag := range list[i].(map[string]any)["TagSet"].([]any) {
			if tg := tag.(map[string]any); tg["Key"] == "Name" {
				byName[tg["Value"].(string)] = str(t, list[i], "NetworkInterfaceId")
			}
		}
	}
	adapter, web := byName["adapter-eni"], byName["web-eni"]
	if len(list) != 2 || adapter == "" || web == "" {
		t.Fatalf("describe-network-interfaces by Name tag: %v", enis)
	}
	target := str(t, ec2("create-traffic-mirror-target", "--network-interface-id", adapter, "--description", "adapter"),
		"TrafficMirrorTarget", "TrafficMirrorTargetId")
	session := str(t, ec2("create-traffic-mirror-session", "--network-interface-id", web,
		"--traffic-mirror-target-id", target, "--traffic-mirror-filter-id", filter,
		"--session-number", "1", "--virtual-network-id", "42"),
		"TrafficMirrorSession", "TrafficMirrorSessionId")
	t.Logf("filter %s rule %s target %s (%s) session %s on %s: %.1fs of aws CLI calls",
		filter, rule, target, adapter, session, web, time.Since(tStart).Seconds())

	round := func(name string, wantVNI uint32) {
		t.Helper()
		capture.reset()
		paths := httpFromClient(t, info.Instances["client"], name, 5)
		wait := 3 * time.Second
		if wantVNI == 0 {
			wait = time.Second // long enough for copies to show, if any were sent
		}
		got := mirroredRequests(capture, paths, wait)
		if wantVNI == 0 {
			if len(got) != 0 || len(capture.snapshot()) != 0 {
				t.Fatalf("%s: %d VXLAN datagrams arrived at the adapter (requests %v), want none", name, len(capture.snapshot()), got)
			}
			return
		}
		if len(got) != len(paths) {
			t.Fatalf("%s: %d of %d requests arrived mirrored at the adapter: %v", name, len(got), len(paths), got)
		}
		for p, vni := range got {
			if vni != wantVNI {
				t.Fatalf("%s: %s arrived with VNI %d, want %d", name, p, vni, wantVNI)
			}
		}
		t.Logf("%s: %d requests mirrored with VNI %d, %d VXLAN datagrams at the adapter", name, len(got), wantVNI, len(capture.snapshot()))
	}
	round("session-created", 42)
	wantStatusTarget(t, dir, session, target)

	ec2("modify-traffic-mirror-filter-rule", "--traffic-mirror-filter-rule-id", rule, "--rule-action", "reject")
	round("rule-rejects", 0)

	ec2("modify-traffic-mirror-filter-rule", "--traffic-mirror-filter-rule-id", rule, "--rule-action", "accept")
	round("rule-accepts-again", 42)

	ec2("delete-traffic-mirror-session", "--traffic-mirror-session-id", session)
	round("session-deleted", 0)
	if out := ec2("describe-traffic-mirror-sessions"); len(out["TrafficMirrorSessions"].([]any)) != 0 {
		t.Fatalf("sessions left after delete: %v", out)
	}
}

// wantStatusTarget waits (the record is refreshed every second) for
// mirrorlab status to show the session with its target: a session created
// through the API after the lab started included.
func wantStatusTarget(t *testing.T, dir, session, target string) {
	t.Helper()
	var got string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		for _, l := range status(t, dir) {
			for _, s := range l.Counters.Sessions {
				if s.Name == session {
					got = s.Target
				}
			}
		}
		if got == target {
			return
		}
	}
	t.Fatalf("mirrorlab status shows session %s with target %q, want %s", session, got, target)
}
