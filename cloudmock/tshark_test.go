package cloudmock

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// tshark runs tshark over frames written to a pcap and returns one line of
// tab-separated fields per frame. tshark is installed by make deps; without
// it the test skips, except under MIRRORLAB_REQUIRE_PRIVILEGED=1 (CI),
// where that is a failure.
func tshark(t *testing.T, frames [][]byte, args ...string) []string {
	t.Helper()
	bin, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("MIRRORLAB_REQUIRE_PRIVILEGED") == "1" {
			t.Fatal("tshark is not installed (make deps installs it)")
		}
		t.Skip("tshark is not installed: the independent dissector check needs it")
	}
	path := filepath.Join(t.TempDir(), "frames.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for _, fr := range frames {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, 0), CaptureLength: len(fr), Length: len(fr)}
		if err := w.WritePacket(ci, fr); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, append([]string{"-r", path}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if !strings.Contains(l, "Running as user") && l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestTsharkOuterIPv6 has tshark's IPv6, UDP (checksum validation on) and
// VXLAN dissectors read the model's copies carried over IPv6: a whole one
// and one truncated at the target's MTU 1500 - 74.
func TestTsharkOuterIPv6(t *testing.T) {
	s := walkthroughSpec()
	openAll6(&s)
	primaryIPv6(&s)
	s.NetworkInterfaces[1].Mtu = 1500
	m := mustNew(t, s)
	web := mustENI(t, m, "eni-web")
	small := frame(t, tcp("2001:db8:0:102::36", "2001:db8:0:100::5", 40000, 80))
	big := udp("2001:db8:0:102::36", "2001:db8:0:100::5", 5000, 6000)
	big.PayloadLen = 1500 - 48
	large := frame(t, big)
	var frames [][]byte
	for _, f := range [][]byte{small, large} {
		d := m.Decide(web, Ingress, f)
		if !d.Mirrored || !d.Outer.Src.Is6() {
			t.Fatalf("not mirrored over IPv6: %s", d)
		}
		frames = append(frames, d.AppendFrame(nil, FrameHeader{SrcMAC: [6]byte{2, 0, 0, 0, 0, 1}, DstMAC: [6]byte{2, 0, 0, 0, 0, 2}}, f))
	}
	lines := tshark(t, frames, "-o", "udp.check_checksum:TRUE", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,",
		"-e", "frame.len", "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "ipv6.hlim", "-e", "ipv6.plen",
		"-e", "udp.dstport", "-e", "udp.checksum.status", "-e", "vxlan.flags", "-e", "vxlan.vni")
	want := []string{
		// 14 + 40 + 8 + 8 + 74-byte inner frame.
		"144\t2001:db8:0:100::5,2001:db8:0:102::36\t2001:db8:0:101::20,2001:db8:0:100::5\t255,64\t90,20\t4789\t1\t0x0800\t1",
		// 1500 - 74 + 14 = 1440 inner bytes kept: the inner IPv6 payload
		// length still says 1460 (a truncated copy is not rewritten), and
		// tshark cannot verify the cut inner UDP's checksum (status 2)
		// while the outer one is good (1).
		"1510\t2001:db8:0:100::5,2001:db8:0:102::36\t2001:db8:0:101::20,2001:db8:0:100::5\t255,64\t1456,1460\t4789,6000\t1,2\t0x0800\t1",
	}
	if len(lines) != len(want) {
		t.Fatalf("tshark printed %d lines, want %d:\n%s", len(lines), len(want), strings.Join(lines, "\n"))
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("frame %d: tshark says\n%q\nwant\n%q", i+1, lines[i], want[i])
		}
	}
}
