package ec2api

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"strings"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// Helpers of the network actions (VPCs, subnets, ENIs, instances, security
// groups, network ACLs, tags) and of Elastic Load Balancing v2.

// derivedID is an AWS-shaped id derived from key: the same key gives the
// same id (association, attachment and rule ids that the model does not
// store, so that they stay stable from one request to the next).
func derivedID(prefix, key string) string {
	h := fnv.New64a()
	h.Write([]byte(prefix + "\x00" + key))
	v := h.Sum64()
	return fmt.Sprintf("%s-%x%016x", prefix, v>>60, v)
}

// privateDNSName is the VPC's DNS name of a private IPv4 address.
func (s *Server) privateDNSName(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is4() {
		return ""
	}
	host := "ip-" + strings.ReplaceAll(ip, ".", "-")
	if s.cfg.Region == "us-east-1" {
		return host + ".ec2.internal"
	}
	return host + "." + s.cfg.Region + ".compute.internal"
}

// macAddress is a stable, locally administered MAC for an ENI.
func macAddress(eniID string) string {
	h := fnv.New64a()
	h.Write([]byte(eniID))
	v := h.Sum64()
	return fmt.Sprintf("02:%02x:%02x:%02x:%02x:%02x", byte(v>>32), byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// ec2ARN is an EC2 resource's ARN.
func (s *Server) ec2ARN(kind, id string) string {
	return fmt.Sprintf("arn:aws:ec2:%s:%s:%s/%s", s.cfg.Region, s.cfg.AccountID, kind, id)
}

// tf is a boolean as the API writes it.
func tf(b bool) []string {
	if b {
		return []string{"true"}
	}
	return []string{"false"}
}

// protocolName is a protocol as the security group API answers it: tcp,
// udp, icmp, icmpv6 by name, -1 for all, other numbers as they are.
func protocolName(p string) string {
	switch strings.ToLower(p) {
	case "6", "tcp":
		return "tcp"
	case "17", "udp":
		return "udp"
	case "1", "icmp":
		return "icmp"
	case "58", "icmpv6":
		return "icmpv6"
	case "-1", "all":
		return "-1"
	}
	return p
}

// protocolNumber is a protocol as the network ACL API answers it: the
// IANA number, -1 for all.
func protocolNumber(p string) string {
	switch strings.ToLower(p) {
	case "tcp":
		return "6"
	case "udp":
		return "17"
	case "icmp":
		return "1"
	case "icmpv6":
		return "58"
	case "all":
		return "-1"
	}
	return p
}

// Lookups by id in a spec: the index, -1 when absent.

func findVpc(spec *cloudmock.Spec, id string) int    { return indexByID(spec.Vpcs, id, idOfVpc) }
func findSubnet(spec *cloudmock.Spec, id string) int { return indexByID(spec.Subnets, id, idOfSubnet) }
func findGroup(spec *cloudmock.Spec, id string) int {
	return indexByID(spec.SecurityGroups, id, idOfGroup)
}
func findACL(spec *cloudmock.Spec, id string) int { return indexByID(spec.NetworkAcls, id, idOfACL) }
func findENI(spec *cloudmock.Spec, id string) int {
	return indexByID(spec.NetworkInterfaces, id, idOfENI)
}

// subnetVpc is the VPC of a subnet ("" if unknown).
func subnetVpc(spec *cloudmock.Spec, subnetID string) string {
	if i := findSubnet(spec, subnetID); i >= 0 {
		return spec.Subnets[i].VpcId
	}
	return ""
}

// Not-found answers of the network resources.
const (
	codeVpcNotFound      = codes.VpcNotFound
	codeSubnetNotFound   = codes.SubnetNotFound
	codeGroupNotFound    = codes.GroupNotFound
	codeENINotFound      = codes.NetworkInterfaceNotFound
	codeACLNotFound      = "InvalidNetworkAclID.NotFound"
	codeACLEntryNotFound = "InvalidNetworkAclEntry.NotFound"
	codeInstanceNotFound = codes.InstanceNotFound
	codeInvalidID        = "InvalidID"
	codePermDuplicate    = "InvalidPermission.Duplicate"
	codePermNotFound     = "InvalidPermission.NotFound"
	codePermMalformed    = "InvalidPermission.Malformed"
	codeUnsupported      = codes.Unsupported
)

// idsExist checks every requested id, answering the first unknown one
// with the kind's NotFound error, as EC2 does for a Describe by ids.
func idsExist(ids []string, exists func(string) bool, code, kind string) error {
	for _, id := range ids {
		if !exists(id) {
			return notFound(code, kind, id)
		}
	}
	return nil
}

// renamedParam rewrites a model finding on one list item (field prefix
// such as "Entries[3].") so that it names the request's parameter.
func renamedParam(err error, prefix, param string) error {
	ae, ok := err.(*apiError)
	if !ok || ae.Cause == nil || !strings.HasPrefix(ae.Cause.Field, prefix) {
		return err
	}
	field := strings.TrimPrefix(ae.Cause.Field, prefix)
	if param != "" {
		field = param + "." + field
	}
	return &apiError{Status: ae.Status, Code: ae.Code, Message: fmt.Sprintf("%s (parameter %s)", ae.Cause.Message, field), Cause: ae.Cause}
}
