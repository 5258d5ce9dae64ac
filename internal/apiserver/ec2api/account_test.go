package ec2api

import (
	"slices"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// fl is one filter (net_test.go's filter is a list of one).
func fl(name string, values ...string) types.Filter {
	return types.Filter{Name: aws.String(name), Values: values}
}

func TestDescribeAvailabilityZones(t *testing.T) {
	_, c := testServer(t, Config{})
	out := must(c.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{}))(t)
	if len(out.AvailabilityZones) != 6 {
		t.Fatalf("us-east-1 zones: %d, want 6", len(out.AvailabilityZones))
	}
	z := out.AvailabilityZones[1]
	if aws.ToString(z.ZoneName) != "us-east-1b" || aws.ToString(z.ZoneId) != "use1-az2" || aws.ToString(z.RegionName) != "us-east-1" ||
		z.State != types.AvailabilityZoneStateAvailable || z.OptInStatus != types.AvailabilityZoneOptInStatusOptInNotRequired ||
		aws.ToString(z.ZoneType) != "availability-zone" || aws.ToString(z.GroupName) != "us-east-1" || aws.ToString(z.NetworkBorderGroup) != "us-east-1" {
		t.Fatalf("zone = %+v", z)
	}
	all := must(c.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{AllAvailabilityZones: aws.Bool(true)}))(t)
	if len(all.AvailabilityZones) != 7 || all.AvailabilityZones[6].OptInStatus != types.AvailabilityZoneOptInStatusNotOptedIn {
		t.Fatalf("all zones: %+v", all.AvailabilityZones)
	}
	// the provider's acctest.ConfigAvailableAZsNoOptIn
	noOptIn := must(c.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{
		Filters: []types.Filter{fl("state", "available"), fl("opt-in-status", "opt-in-not-required")}}))(t)
	if len(noOptIn.AvailabilityZones) != 6 {
		t.Fatalf("available zones without opt-in: %+v", noOptIn.AvailabilityZones)
	}
	byID := must(c.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{ZoneIds: []string{"use1-az3"}, ZoneNames: []string{"us-east-1a"}}))(t)
	if len(byID.AvailabilityZones) != 2 {
		t.Fatalf("by name and id: %+v", byID.AvailabilityZones)
	}
	f := must(c.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{AllAvailabilityZones: aws.Bool(true),
		Filters: []types.Filter{fl("opt-in-status", "opt-in-not-required"), fl("zone-name", "us-east-1[ab]", "*c")}}))(t)
	if len(f.AvailabilityZones) != 1 || aws.ToString(f.AvailabilityZones[0].ZoneName) != "us-east-1c" {
		t.Fatalf("filtered: %+v", f.AvailabilityZones)
	}
	_, err := c.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{ZoneNames: []string{"us-east-1z"}})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{Filters: []types.Filter{fl("colour", "red")}})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	// another region, another set
	_, c2 := testServer(t, Config{Region: "eu-west-3"})
	eu := must(c2.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{AllAvailabilityZones: aws.Bool(true)}))(t)
	if len(eu.AvailabilityZones) != 3 || aws.ToString(eu.AvailabilityZones[2].ZoneId) != "euw3-az3" {
		t.Fatalf("eu-west-3: %+v", eu.AvailabilityZones)
	}
}

func imageNames(imgs []types.Image) []string {
	var out []string
	for _, im := range imgs {
		out = append(out, aws.ToString(im.Name))
	}
	return out
}

func TestDescribeImages(t *testing.T) {
	_, c := testServer(t, Config{})
	al := must(c.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"amazon"},
		Filters: []types.Filter{fl("name", "al2023-ami-2023.*-x86_64")}}))(t)
	if len(al.Images) != 1 {
		t.Fatalf("al2023 x86_64: %v", imageNames(al.Images))
	}
	im := al.Images[0]
	if !validAMIID(aws.ToString(im.ImageId)) || len(aws.ToString(im.ImageId)) != 21 || im.Architecture != types.ArchitectureValuesX8664 ||
		aws.ToString(im.OwnerId) != ownerAmazon || aws.ToString(im.ImageOwnerAlias) != "amazon" || im.State != types.ImageStateAvailable ||
		im.RootDeviceType != types.DeviceTypeEbs || aws.ToString(im.RootDeviceName) != "/dev/xvda" || im.VirtualizationType != types.VirtualizationTypeHvm ||
		len(im.BlockDeviceMappings) != 1 || aws.ToString(im.BlockDeviceMappings[0].Ebs.SnapshotId) == "" || aws.ToString(im.CreationDate) == "" ||
		!aws.ToBool(im.EnaSupport) || aws.ToString(im.PlatformDetails) != "Linux/UNIX" || !aws.ToBool(im.Public) {
		t.Fatalf("image = %+v", im)
	}
	// the same id on every server: stable
	_, c2 := testServer(t, Config{Seed: 99})
	again := must(c2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{aws.ToString(im.ImageId)}}))(t)
	if len(again.Images) != 1 || aws.ToString(again.Images[0].Name) != aws.ToString(im.Name) {
		t.Fatalf("by id on another server: %v", imageNames(again.Images))
	}
	for _, tc := range []struct {
		owners []string
		fs     []types.Filter
		want   int
	}{
		{[]string{"099720109477"}, []types.Filter{fl("name", "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*")}, 1},
		{nil, []types.Filter{fl("name", "amzn2-ami-hvm-*-x86_64-gp2")}, 1},
		{[]string{"amazon"}, []types.Filter{fl("architecture", "arm64")}, 3},
		{nil, []types.Filter{fl("owner-alias", "amazon"), fl("root-device-type", "ebs"), fl("virtualization-type", "hvm"), fl("state", "available")}, 6},
		{[]string{"137112412989", "099720109477"}, nil, 10},
		{[]string{"self"}, nil, 0},
		// the Terraform AWS provider's acctest.ConfigLatestAmazonLinux2HVMEBSX8664AMI
		{[]string{"amazon"}, []types.Filter{fl("name", "amzn2-ami-minimal-hvm-*"), fl("root-device-type", "ebs"), fl("architecture", "x86_64")}, 1},
		{nil, []types.Filter{fl("owner-id", ownerCanonical), fl("architecture", "x86_64")}, 2},
	} {
		got := must(c.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: tc.owners, Filters: tc.fs}))(t)
		if len(got.Images) != tc.want {
			t.Errorf("owners %v filters %v: %v, want %d images", tc.owners, tc.fs, imageNames(got.Images), tc.want)
		}
	}
	p := ec2.NewDescribeImagesPaginator(c, &ec2.DescribeImagesInput{MaxResults: aws.Int32(5)})
	var seen []string
	for p.HasMorePages() {
		seen = append(seen, imageNames(must(p.NextPage(ctx))(t).Images)...)
	}
	if len(seen) != 10 || len(slices.Compact(slices.Sorted(slices.Values(seen)))) != 10 {
		t.Fatalf("paged: %v", seen)
	}
	_, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{"ami-00000000000000000"}})
	wantCode(t, err, "InvalidAMIID.NotFound")
	_, err = c.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{"image-1"}})
	wantCode(t, err, "InvalidAMIID.Malformed")
	_, err = c.DescribeImages(ctx, &ec2.DescribeImagesInput{Filters: []types.Filter{fl("flavour", "x")}})
	wantCode(t, err, "InvalidParameterValue")
}

func TestDescribeInstanceTypes(t *testing.T) {
	_, c := testServer(t, Config{})
	out := must(c.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{InstanceTypes: []types.InstanceType{"t2.micro", "m5.large"}}))(t)
	if len(out.InstanceTypes) != 2 {
		t.Fatalf("types: %+v", out.InstanceTypes)
	}
	m5, t2 := out.InstanceTypes[0], out.InstanceTypes[1]
	if m5.InstanceType != "m5.large" || m5.Hypervisor != types.InstanceTypeHypervisorNitro || aws.ToInt32(m5.VCpuInfo.DefaultVCpus) != 2 ||
		aws.ToInt64(m5.MemoryInfo.SizeInMiB) != 8192 || aws.ToInt32(m5.NetworkInfo.MaximumNetworkInterfaces) != 3 ||
		aws.ToInt32(m5.NetworkInfo.Ipv4AddressesPerInterface) != 10 || !aws.ToBool(m5.NetworkInfo.Ipv6Supported) ||
		aws.ToString(m5.NetworkInfo.NetworkPerformance) != "Up to 10 Gigabit" || !slices.Equal(m5.ProcessorInfo.SupportedArchitectures, []types.ArchitectureType{"x86_64"}) {
		t.Fatalf("m5.large = %+v", m5)
	}
	if t2.Hypervisor != types.InstanceTypeHypervisorXen || !aws.ToBool(t2.FreeTierEligible) || !aws.ToBool(t2.BurstablePerformanceSupported) {
		t.Fatalf("t2.micro = %+v", t2)
	}
	// the catalogue's hypervisor agrees with the model's mirror rule for
	// the types the guide names
	for _, it := range instanceTypeCatalogue {
		ok, _ := cloudmock.MirrorSourceSupported(it.name)
		if it.hypervisor == "xen" && ok != strings.HasPrefix(it.name, "m4.") {
			t.Errorf("%s: xen, mirror source supported = %v", it.name, ok)
		}
	}
	arm := must(c.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{Filters: []types.Filter{
		fl("processor-info.supported-architecture", "arm64"), fl("hypervisor", "nitro"), fl("instance-type", "*.large")}}))(t)
	var names []string
	for _, it := range arm.InstanceTypes {
		names = append(names, string(it.InstanceType))
	}
	if !slices.Equal(names, []string{"c6gn.large", "m6g.large"}) {
		t.Fatalf("arm64 nitro large: %v", names)
	}
	p := ec2.NewDescribeInstanceTypesPaginator(c, &ec2.DescribeInstanceTypesInput{MaxResults: aws.Int32(5)})
	n, pages := 0, 0
	for p.HasMorePages() {
		n += len(must(p.NextPage(ctx))(t).InstanceTypes)
		pages++
	}
	if n != len(instanceTypeCatalogue) || pages != (n+4)/5 {
		t.Fatalf("paged %d types in %d pages", n, pages)
	}
	// an instance of a scenario (no type) answers a type the catalogue has,
	// as data "aws_instance" looks it up
	inst := must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{}))(t).Reservations[0].Instances[0]
	if inst.InstanceType != unknownInstanceType || findInstanceType(string(inst.InstanceType)) == nil {
		t.Fatalf("type of an instance of unknown type: %q", inst.InstanceType)
	}
	if ok, _ := cloudmock.MirrorSourceSupported(unknownInstanceType); !ok {
		t.Fatalf("%s, answered for an unknown type, cannot be a mirror source: the model accepts one", unknownInstanceType)
	}
	_, err := c.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{InstanceTypes: []types.InstanceType{"t2.micro", "z9.huge"}})
	wantCode(t, err, "InvalidInstanceType")
	_, err = c.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{MaxResults: aws.Int32(101)})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{Filters: []types.Filter{fl("colour", "x")}})
	wantCode(t, err, "InvalidParameterValue")
}

func TestDescribeInstanceTypeOfferings(t *testing.T) {
	_, c := testServer(t, Config{})
	out := must(c.DescribeInstanceTypeOfferings(ctx, &ec2.DescribeInstanceTypeOfferingsInput{
		Filters: []types.Filter{fl("instance-type", "t3.micro")}}))(t)
	if len(out.InstanceTypeOfferings) != 1 || aws.ToString(out.InstanceTypeOfferings[0].Location) != "us-east-1" ||
		out.InstanceTypeOfferings[0].LocationType != types.LocationTypeRegion {
		t.Fatalf("region offerings: %+v", out.InstanceTypeOfferings)
	}
	az := must(c.DescribeInstanceTypeOfferings(ctx, &ec2.DescribeInstanceTypeOfferingsInput{LocationType: types.LocationTypeAvailabilityZone,
		Filters: []types.Filter{fl("instance-type", "t2.micro", "m5.large"), fl("location", "us-east-1a", "us-east-1b")}}))(t)
	if len(az.InstanceTypeOfferings) != 4 {
		t.Fatalf("zone offerings: %+v", az.InstanceTypeOfferings)
	}
	p := ec2.NewDescribeInstanceTypeOfferingsPaginator(c, &ec2.DescribeInstanceTypeOfferingsInput{LocationType: types.LocationTypeAvailabilityZoneId, MaxResults: aws.Int32(10)})
	n := 0
	for p.HasMorePages() {
		for _, o := range must(p.NextPage(ctx))(t).InstanceTypeOfferings {
			if !strings.HasPrefix(aws.ToString(o.Location), "use1-az") {
				t.Fatalf("zone id offering: %+v", o)
			}
			n++
		}
	}
	if n != 6*len(instanceTypeCatalogue) {
		t.Fatalf("zone id offerings: %d", n)
	}
	_, err := c.DescribeInstanceTypeOfferings(ctx, &ec2.DescribeInstanceTypeOfferingsInput{LocationType: "galaxy"})
	wantCode(t, err, "InvalidParameterValue")
}

// A session whose source ENI belongs to an instance of a type AWS does
// not mirror from is refused with the model's error; the same ENI on a
// Nitro type is accepted.
func TestSessionSourceInstanceType(t *testing.T) {
	for typ, code := range map[string]string{"t2.micro": codes.SourceInstanceType, "m5.large": ""} {
		spec := fixtureSpec()
		spec.NetworkInterfaces[0].InstanceType = typ
		_, c := testServer(t, Config{Spec: spec})
		f, tgt := mirrorSetup(t, c)
		inst := must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{fl("instance-type", typ)}}))(t).Reservations
		if len(inst) != 1 || inst[0].Instances[0].InstanceType != types.InstanceType(typ) {
			t.Fatalf("instance of type %s: %+v", typ, inst)
		}
		_, err := c.CreateTrafficMirrorSession(ctx, sessionIn(eniWeb, f, tgt, 1))
		if code == "" {
			if err != nil {
				t.Fatalf("%s source: %v", typ, err)
			}
			continue
		}
		wantCode(t, err, code)
		if !strings.Contains(err.Error(), typ) || !strings.Contains(err.Error(), "NetworkInterfaceId") {
			t.Fatalf("%s source: %v", typ, err)
		}
	}
}

// A new account's state: a default VPC with a default /20 subnet per
// zone, its default group and network ACL, answered as EC2 does.
func TestNewAccount(t *testing.T) {
	spec, names := NewAccount("us-east-1")
	_, c := testServer(t, Config{Spec: spec, Names: names})
	vpcs := must(c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{fl("is-default", "true")}}))(t).Vpcs
	if len(vpcs) != 1 || aws.ToString(vpcs[0].CidrBlock) != "172.31.0.0/16" || !aws.ToBool(vpcs[0].IsDefault) {
		t.Fatalf("default VPC: %+v", vpcs)
	}
	subs := must(c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []types.Filter{fl("default-for-az", "true")}}))(t).Subnets
	if len(subs) != 6 {
		t.Fatalf("default subnets: %d, want one per zone (6)", len(subs))
	}
	zones := map[string]string{}
	for _, sn := range subs {
		if !aws.ToBool(sn.DefaultForAz) || !aws.ToBool(sn.MapPublicIpOnLaunch) || aws.ToString(sn.VpcId) != aws.ToString(vpcs[0].VpcId) {
			t.Fatalf("subnet %+v", sn)
		}
		zones[aws.ToString(sn.AvailabilityZone)] = aws.ToString(sn.CidrBlock)
	}
	if zones["us-east-1a"] != "172.31.0.0/20" || zones["us-east-1b"] != "172.31.16.0/20" || zones["us-east-1c"] != "172.31.32.0/20" || len(zones) != 6 {
		t.Fatalf("zones of the default subnets: %v", zones)
	}
	inB := must(c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []types.Filter{fl("availability-zone-id", "use1-az2")}}))(t).Subnets
	if len(inB) != 1 || aws.ToString(inB[0].AvailabilityZone) != "us-east-1b" {
		t.Fatalf("subnets in use1-az2: %+v", inB)
	}
	sgs := must(c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{fl("group-name", "default"), fl("vpc-id", aws.ToString(vpcs[0].VpcId))}}))(t).SecurityGroups
	if len(sgs) != 1 || len(sgs[0].IpPermissions) != 1 || len(sgs[0].IpPermissionsEgress) != 1 {
		t.Fatalf("default group: %+v", sgs)
	}
	acls := must(c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: []types.Filter{fl("default", "true")}}))(t).NetworkAcls
	if len(acls) != 1 || !aws.ToBool(acls[0].IsDefault) || len(acls[0].Associations) != 6 || len(acls[0].Entries) != 4 {
		t.Fatalf("default network ACL: %+v", acls)
	}
	rts := must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{
		fl("association.main", "true"), fl("vpc-id", aws.ToString(vpcs[0].VpcId))}}))(t).RouteTables
	if len(rts) != 1 || len(rts[0].Routes) != 1 || aws.ToString(rts[0].Routes[0].DestinationCidrBlock) != "172.31.0.0/16" ||
		aws.ToString(rts[0].Routes[0].GatewayId) != "local" || len(rts[0].Associations) != 1 || !aws.ToBool(rts[0].Associations[0].Main) {
		t.Fatalf("main route table: %+v", rts)
	}
	byID := must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{aws.ToString(rts[0].RouteTableId)}}))(t).RouteTables
	if len(byID) != 1 {
		t.Fatalf("route table by id: %+v", byID)
	}
	_, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{"rtb-00000000000000000"}})
	wantCode(t, err, "InvalidRouteTableID.NotFound")
	none := must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{fl("association.subnet-id", aws.ToString(subs[0].SubnetId))}}))(t).RouteTables
	if len(none) != 0 {
		t.Fatalf("an implicit association is listed: %+v", none)
	}
	// the same ids at every start
	again, _ := NewAccount("us-east-1")
	if again.Vpcs[0].VpcId != spec.Vpcs[0].VpcId || again.Subnets[5].SubnetId != spec.Subnets[5].SubnetId {
		t.Fatal("ids change between starts")
	}
	// a file's network is not the default one
	_, c2 := testServer(t, Config{})
	if v := must(c2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}))(t).Vpcs; aws.ToBool(v[0].IsDefault) {
		t.Fatal("a scenario's VPC is described as the default VPC")
	}
}

// Every VPC of a file's network has its main route table, paged by id.
func TestDescribeRouteTablesPaged(t *testing.T) {
	spec := fixtureSpec()
	for i := range 6 {
		spec.Vpcs = append(spec.Vpcs, cloudmock.Vpc{VpcId: derivedID("vpc", string(rune('a'+i))), CidrBlock: "10.1.0.0/16"})
	}
	_, c := testServer(t, Config{Spec: spec})
	p := ec2.NewDescribeRouteTablesPaginator(c, &ec2.DescribeRouteTablesInput{MaxResults: aws.Int32(5)})
	seen := map[string]bool{}
	for p.HasMorePages() {
		for _, rt := range must(p.NextPage(ctx))(t).RouteTables {
			seen[aws.ToString(rt.VpcId)] = true
		}
	}
	if len(seen) != 7 {
		t.Fatalf("main route tables of %d VPCs, want 7", len(seen))
	}
	_, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{MaxResults: aws.Int32(101)})
	wantCode(t, err, "InvalidParameterValue")
}
