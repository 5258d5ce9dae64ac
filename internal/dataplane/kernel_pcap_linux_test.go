package dataplane

import (
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// TestPrivilegedKernelPcap: with Config.PcapDir the in-kernel path stays
// on; the per-target pcapng holds exactly the frames the target's own
// interface received, those the kernel sent (counted as Kernel) and one
// the kernel leaves to user space (a VLAN-tagged frame) alike.
func TestPrivilegedKernelPcap(t *testing.T) {
	lab := testLab(t)
	spec := baseSpec()
	addSession(&spec, "tms-web", "web", "tgt1", 1, 4243, acceptAllButICMP())
	pcapDir := t.TempDir()
	wire := captureWire(t, lab, "tgt1")
	svc, _ := startService(t, lab, spec, func(c *Config) { c.PcapDir = pcapDir })
	if ks := svc.Snapshot().Kernel; !ks.Enabled {
		t.Fatalf("in-kernel path off with PcapDir: %s", ks.Why)
	}
	listenUDP(t, lab, "web", 9000).drain()
	const flows, per = 4, 3
	for i := 0; i < flows; i++ {
		c := listenUDP(t, lab, "client", 46000+i)
		c.send(t, ap("10.0.0.5:9000"), []byte(fmt.Sprintf("kernel pcap %d", i)), per)
	}
	web := lab.Instance("web").ENI("eth0")
	plain := frame(t, cloudmock.Packet{Proto: 17, Src: web.IP, Dst: netip.MustParseAddr("10.0.0.6"),
		SrcPort: 33020, DstPort: 7779, PayloadLen: 20, SrcMAC: [6]byte(web.MAC),
		DstMAC: [6]byte(lab.Fabric("vpc").Bridge("public").MAC)})
	tagged := append(append(append([]byte{}, plain[:12]...), 0x81, 0x00, 0, 7), plain[12:]...)
	inject(t, lab, "web", tagged)

	const want = flows*per + 1
	var got [][]byte
	for deadline := time.Now().Add(5 * time.Second); len(got) < want && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		got = wire.vxlan()
	}
	time.Sleep(100 * time.Millisecond) // anything beyond want would show
	got = wire.vxlan()
	if len(got) != want {
		t.Fatalf("target received %d copies, want %d\n%s", len(got), want, dumpSnapshot(svc))
	}
	snap := svc.Snapshot()
	if k := snap.ENIs["eni-web"].Ingress.Kernel; k != flows*per {
		t.Errorf("kernel decided %d ingress copies, want %d\n%s", k, flows*per, dumpSnapshot(svc))
	}
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	snap = svc.Snapshot()
	if snap.Kernel.PcapLost != 0 {
		t.Errorf("PcapLost = %d", snap.Kernel.PcapLost)
	}
	inFile := readPcapng(t, filepath.Join(pcapDir, "tmt-tgt1.pcapng"))
	count := map[string]int{}
	for _, f := range got {
		count[string(f)]++
	}
	for i, f := range inFile {
		if count[string(f)] == 0 {
			t.Errorf("pcapng frame %d is not a frame the target received: % x", i+1, head(f))
			continue
		}
		count[string(f)]--
	}
	if len(inFile) != len(got) {
		t.Errorf("pcapng holds %d frames, the target received %d", len(inFile), len(got))
	}
	checkTsharkPcap(t, filepath.Join(pcapDir, "tmt-tgt1.pcapng"), want, 4243)
}

// checkTsharkPcap has tshark dissect the service's own pcapng: want VXLAN
// copies, each with the outer header of the AWS capture (IPv4 id 0, TTL
// 255, UDP checksum 0, VXLAN flags 0x08) and VNI vni.
func checkTsharkPcap(t *testing.T, path string, want, vni int) {
	bin, err := exec.LookPath("tshark")
	if err != nil {
		t.Log("tshark not installed: its dissection of the pcapng is skipped (the byte comparisons ran)")
		return
	}
	out, err := exec.Command(bin, "-r", path, "-Y", "vxlan", "-T", "fields", "-E", "occurrence=f",
		"-e", "ip.id", "-e", "ip.ttl", "-e", "udp.checksum", "-e", "vxlan.flags", "-e", "vxlan.vni").Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != want {
		t.Fatalf("tshark dissected %d VXLAN copies in the pcapng, want %d:\n%s", len(lines), want, out)
	}
	for i, l := range lines {
		if w := fmt.Sprintf("0x0000\t255\t0x0000\t0x0800\t%d", vni); l != w {
			t.Errorf("tshark fields of copy %d: %q, want %q", i+1, l, w)
		}
	}
}
