package dataplane

import (
	"bytes"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/encap"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// TestPrivilegedWireFormat checks what arrives on the target's wire with an
// independent AF_PACKET capture (and tshark's VXLAN dissector when
// installed), the service's pcapng of what it sent, and its Prometheus
// metrics.
func TestPrivilegedWireFormat(t *testing.T) {
	lab := testLab(t)
	spec := baseSpec()
	addSession(&spec, "tms-web", "web", "tgt1", 1, 4242, cloudmock.TrafficMirrorFilter{
		IngressFilterRules: rules{rule(100, "accept", 17, 9000, 9000)},
	})
	pcapDir := t.TempDir()
	wire := captureWire(t, lab, "tgt1")
	sk := newSink(t, lab, "tgt1")
	svc, _ := startService(t, lab, spec, func(c *Config) { c.PcapDir = pcapDir })
	listenUDP(t, lab, "web", 9000).drain()
	const flows, per = 3, 2
	for i := 0; i < flows; i++ {
		c := listenUDP(t, lab, "client", 45000+i)
		c.send(t, ap("10.0.0.5:9000"), []byte(fmt.Sprintf("wire format %d", i)), per)
	}
	arrived := settle(flows*per, sk)
	if len(arrived) != flows*per {
		t.Fatalf("sink got %d datagrams, want %d", len(arrived), flows*per)
	}
	frames := wire.vxlan()
	if len(frames) != flows*per {
		t.Fatalf("wire capture saw %d VXLAN frames, want %d", len(frames), flows*per)
	}
	tgt1 := lab.Instance("tgt1").ENI("eth0")
	for _, f := range frames {
		p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
		eth := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
		ip := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		udp := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
		vx, _ := p.Layer(layers.LayerTypeVXLAN).(*layers.VXLAN)
		switch {
		case !bytes.Equal(eth.DstMAC, tgt1.MAC):
			t.Errorf("outer Ethernet destination %s, want tgt1's %s", eth.DstMAC, tgt1.MAC)
		case ip.SrcIP.String() != "10.0.0.5" || ip.DstIP.String() != "10.0.0.20":
			t.Errorf("outer IPv4 %s -> %s, want 10.0.0.5 -> 10.0.0.20", ip.SrcIP, ip.DstIP)
		case ip.TTL != encap.OuterTTL || ip.Protocol != layers.IPProtocolUDP:
			t.Errorf("outer TTL %d protocol %v, want %d UDP", ip.TTL, ip.Protocol, encap.OuterTTL)
		case naiveSum(f[14:34]) != 0xffff:
			t.Errorf("outer IPv4 header checksum invalid")
		case int(ip.Length) != len(f)-14 || int(udp.Length) != len(f)-34:
			t.Errorf("outer lengths IPv4 %d UDP %d for a %d-byte frame", ip.Length, udp.Length, len(f))
		case udp.DstPort != 4789 || udp.Checksum != 0:
			t.Errorf("outer UDP dport %d checksum %#x, want 4789 and 0", udp.DstPort, udp.Checksum)
		case vx == nil || vx.VNI != 4242 || f[42] != 0x08:
			t.Errorf("VXLAN header %x, want flags 08 and VNI 4242", f[42:50])
		}
	}
	checkTshark(t, wire, flows*per)

	// Prometheus, before Close.
	rec := httptest.NewRecorder()
	svc.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`mirrorlab_dataplane_sent_packets_total{direction="ingress",eni="eni-web"} 6`,
		`mirrorlab_eni_mirror_packets_total{direction="ingress",eni="eni-web"} 6`,
		`mirrorlab_dataplane_target_sent_packets_total{addr="10.0.0.20",target="tmt-tgt1"} 6`,
		`mirrorlab_session_counter{counter="Packets",session="tms-web"} 6`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}

	// The service's pcapng holds exactly what the target received.
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(pcapDir, "tmt-tgt1.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, a := range arrived {
		want[string(a.raw)]++
	}
	n := 0
	for {
		data, _, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		if len(data) < 42 || want[string(data[42:])] == 0 {
			t.Errorf("pcapng frame %d is not a datagram the target received", n)
			continue
		}
		want[string(data[42:])]--
	}
	if n != len(arrived) {
		t.Errorf("pcapng holds %d frames, the target received %d", n, len(arrived))
	}
}

// checkTshark dissects the wire capture with tshark, when installed.
func checkTshark(t *testing.T, wire *wireCapture, want int) {
	bin, err := exec.LookPath("tshark")
	if err != nil {
		t.Log("tshark not installed: the independent VXLAN dissector check is skipped (the other checks ran)")
		return
	}
	path := filepath.Join(t.TempDir(), "wire.pcapng")
	wire.writePcap(t, path)
	out, err := exec.Command(bin, "-r", path, "-Y", "vxlan", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,",
		"-e", "ip.src", "-e", "udp.dstport", "-e", "vxlan.flags", "-e", "vxlan.vni").Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != want {
		t.Fatalf("tshark dissected %d VXLAN packets, want %d:\n%s", len(lines), want, out)
	}
	for _, l := range lines {
		f := strings.Split(l, "\t")
		// ip.src: outer then inner; udp.dstport: outer then inner.
		if len(f) != 4 || f[0] != "10.0.0.5,10.0.0.6" || f[1] != "4789,9000" || f[2] != "0x0800" || f[3] != "4242" {
			t.Errorf("tshark fields %q, want outer,inner sources 10.0.0.5,10.0.0.6, ports 4789,9000, flags 0x0800, VNI 4242", f)
		}
	}
}
