package scenarios_test

import (
	"net"
	"os"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// replayScenario replays in.pcap into web's interface as received traffic.
const replayScenario = `name: replay
network:
  vpcs:
    - name: vpc
      CidrBlock: 10.0.0.0/24
      subnets:
        - {name: public, CidrBlock: 10.0.0.0/28}
        - {name: monitor, CidrBlock: 10.0.0.16/28}
  instances:
    - name: web
      networkInterfaces: [{name: web-eni, SubnetId: public, PrivateIpAddress: 10.0.0.5}]
    - name: collector
      networkInterfaces: [{name: collector-eni, SubnetId: monitor, PrivateIpAddress: 10.0.0.20}]
mirror:
  filters:
    - name: udp-in
      rules:
        - {TrafficDirection: ingress, RuleNumber: 100, RuleAction: accept, Protocol: udp, SourceCidrBlock: 0.0.0.0/0, DestinationCidrBlock: 0.0.0.0/0}
  targets:
    - {name: collector-target, NetworkInterfaceId: collector-eni}
  sessions:
    - {name: web-session, NetworkInterfaceId: web-eni, TrafficMirrorTargetId: collector-target, TrafficMirrorFilterId: udp-in, SessionNumber: 1, VirtualNetworkId: 5}
programs:
  - {name: sink, instance: collector, builtin: udp-sink}
  - {name: web-udp, instance: web, builtin: udp-sink, args: [-port, "5000"]}
traffic:
  - {name: capture, replay: {file: in.pcap, networkInterface: web-eni, direction: ingress}}
expect:
  - mirrored: {session: web-session, equals: 12}
  - arrived: {networkInterface: collector-eni, vni: 5, equals: 12}
`

// writeUDPCapture writes n UDP datagrams 10.0.0.6:4000 -> 10.0.0.5:5000 as
// a pcap (the Ethernet addresses are rewritten by the replay).
func writeUDPCapture(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65536, layers.LinkTypeEthernet); err != nil {
		return err
	}
	for i := range n {
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IPv4(10, 0, 0, 6), DstIP: net.IPv4(10, 0, 0, 5)}
		udp := &layers.UDP{SrcPort: 4000, DstPort: 5000}
		_ = udp.SetNetworkLayerForChecksum(ip)
		buf := gopacket.NewSerializeBuffer()
		payload := gopacket.Payload([]byte{byte(i), 'm', 'i', 'r', 'r', 'o', 'r'})
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, udp, payload); err != nil {
			return err
		}
		b := buf.Bytes()
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(int64(i), 0), CaptureLength: len(b), Length: len(b)}, b); err != nil {
			return err
		}
	}
	return nil
}

// sendersScenario drives the built-in TCP, UDP and ICMP senders.
const sendersScenario = `name: senders
network:
  vpcs:
    - name: vpc
      CidrBlock: 10.0.0.0/24
      subnets:
        - {name: public, CidrBlock: 10.0.0.0/28}
        - {name: monitor, CidrBlock: 10.0.0.16/28}
  instances:
    - name: web
      networkInterfaces: [{name: web-eni, SubnetId: public, PrivateIpAddress: 10.0.0.5}]
    - name: client
      networkInterfaces: [{name: client-eni, SubnetId: public, PrivateIpAddress: 10.0.0.6}]
    - name: collector
      networkInterfaces: [{name: collector-eni, SubnetId: monitor, PrivateIpAddress: 10.0.0.20}]
mirror:
  filters:
    - name: icmp-in
      rules:
        - {TrafficDirection: ingress, RuleNumber: 100, RuleAction: accept, Protocol: icmp, SourceCidrBlock: 0.0.0.0/0, DestinationCidrBlock: 0.0.0.0/0}
        - {TrafficDirection: egress, RuleNumber: 100, RuleAction: accept, Protocol: icmp, SourceCidrBlock: 0.0.0.0/0, DestinationCidrBlock: 0.0.0.0/0}
  targets:
    - {name: collector-target, NetworkInterfaceId: collector-eni}
  sessions:
    - {name: web-session, NetworkInterfaceId: web-eni, TrafficMirrorTargetId: collector-target, TrafficMirrorFilterId: icmp-in, SessionNumber: 1, VirtualNetworkId: 3}
programs:
  - {name: sink, instance: collector, builtin: udp-sink}
  - {name: web-http, instance: web, builtin: http-server}
  - {name: web-udp, instance: web, builtin: udp-sink, args: [-port, "9000"]}
traffic:
  - {name: ping, from: client, icmp: {to: web, count: 4, size: 56}}
  - {name: tcp, from: client, tcp: {to: web, port: 80, count: 3, payload: "hello"}}
  - {name: udp, from: client, udp: {to: web, port: 9000, count: 6, size: 10}}
  - {name: refused, from: client, tcp: {to: web, port: 81, count: 2}, allowFailure: true}
expect:
  - name: every echo request and its reply were mirrored
    mirrored: {session: web-session, equals: 8}
  - metric: {networkInterface: web-eni, name: NetworkPacketsMirrorIn, equals: 4}
  - metric: {networkInterface: web-eni, name: NetworkPacketsMirrorOut, equals: 4}
  - traffic: {name: ping, succeeded: {equals: 4}}
  - traffic: {name: tcp, succeeded: {equals: 3}}
  - traffic: {name: refused, failed: {equals: 2}}
  - output: {program: web-http, contains: "request", equals: 0}
`
