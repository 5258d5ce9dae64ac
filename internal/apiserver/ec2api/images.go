package ec2api

import (
	"slices"
	"strings"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// A small, stable catalogue of public images: the latest Amazon Linux
// 2023, Amazon Linux 2 (and its minimal variant, which the Terraform AWS
// provider's tests look up) and Ubuntu 22.04 and 24.04 images, for x86_64
// and arm64, named as their publishers name them, so that the usual
// name filters (al2023-ami-2023.*-x86_64, amzn2-ami-hvm-*-x86_64-gp2,
// ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*) find them.
// Ids are derived from the name (ami- + 17 hex digits), so they never
// change. Nothing boots an image: an instance is a network namespace.

// Image owners: Amazon's images have the alias "amazon"; Canonical's have
// none.
const (
	ownerAmazon    = "137112412989"
	ownerCanonical = "099720109477"
)

// image is one catalogue entry.
type image struct {
	name, description, arch, owner, created string
	volumeType                              string
	volumeSize                              int
	rootDevice                              string
	platformDetails                         string
}

func (im *image) id() string { return derivedID("ami", im.owner+"/"+im.name) }

func (im *image) alias() string {
	if im.owner == ownerAmazon {
		return "amazon"
	}
	return ""
}

// imageCatalogue lists the images in a fixed order.
func imageCatalogue() []*image {
	var out []*image
	for _, arch := range []string{"x86_64", "arm64"} {
		ubuntuArch := map[string]string{"x86_64": "amd64", "arm64": "arm64"}[arch]
		out = append(out,
			&image{name: "al2023-ami-2023.6.20241212.0-kernel-6.1-" + arch, description: "Amazon Linux 2023 AMI 2023.6.20241212.0 " + arch + " HVM kernel-6.1",
				arch: arch, owner: ownerAmazon, created: "2024-12-12T20:09:17.000Z", volumeType: "gp3", volumeSize: 8, rootDevice: "/dev/xvda"},
			&image{name: "amzn2-ami-hvm-2.0.20241217.0-" + arch + "-gp2", description: "Amazon Linux 2 AMI 2.0.20241217.0 " + arch + " HVM gp2",
				arch: arch, owner: ownerAmazon, created: "2024-12-17T23:11:44.000Z", volumeType: "gp2", volumeSize: 8, rootDevice: "/dev/xvda"},
			&image{name: "amzn2-ami-minimal-hvm-2.0.20241217.0-" + arch + "-ebs", description: "Amazon Linux 2 AMI 2.0.20241217.0 " + arch + " Minimal HVM ebs",
				arch: arch, owner: ownerAmazon, created: "2024-12-17T23:12:02.000Z", volumeType: "standard", volumeSize: 2, rootDevice: "/dev/xvda"},
			&image{name: "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-" + ubuntuArch + "-server-20241206", description: "Canonical, Ubuntu, 22.04 LTS, " + ubuntuArch + " jammy image build on 2024-12-06",
				arch: arch, owner: ownerCanonical, created: "2024-12-06T06:51:35.000Z", volumeType: "gp2", volumeSize: 8, rootDevice: "/dev/sda1"},
			&image{name: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-" + ubuntuArch + "-server-20241206", description: "Canonical, Ubuntu, 24.04, " + ubuntuArch + " noble image",
				arch: arch, owner: ownerCanonical, created: "2024-12-06T07:03:12.000Z", volumeType: "gp3", volumeSize: 8, rootDevice: "/dev/sda1"},
		)
	}
	for _, im := range out {
		im.platformDetails = "Linux/UNIX"
	}
	return out
}

type xmlEbs struct {
	SnapshotId          string `xml:"snapshotId"`
	VolumeSize          int    `xml:"volumeSize"`
	DeleteOnTermination bool   `xml:"deleteOnTermination"`
	VolumeType          string `xml:"volumeType"`
	Iops                int    `xml:"iops,omitempty"`
	Throughput          int    `xml:"throughput,omitempty"`
	Encrypted           bool   `xml:"encrypted"`
}

type xmlBlockDevice struct {
	DeviceName string `xml:"deviceName"`
	Ebs        xmlEbs `xml:"ebs"`
}

type xmlImage struct {
	ImageId            string           `xml:"imageId"`
	ImageLocation      string           `xml:"imageLocation"`
	ImageState         string           `xml:"imageState"`
	ImageOwnerId       string           `xml:"imageOwnerId"`
	CreationDate       string           `xml:"creationDate"`
	IsPublic           bool             `xml:"isPublic"`
	Architecture       string           `xml:"architecture"`
	ImageType          string           `xml:"imageType"`
	ImageOwnerAlias    string           `xml:"imageOwnerAlias,omitempty"`
	Name               string           `xml:"name"`
	Description        string           `xml:"description"`
	RootDeviceType     string           `xml:"rootDeviceType"`
	RootDeviceName     string           `xml:"rootDeviceName"`
	BlockDevices       []xmlBlockDevice `xml:"blockDeviceMapping>item"`
	VirtualizationType string           `xml:"virtualizationType"`
	Hypervisor         string           `xml:"hypervisor"`
	EnaSupport         bool             `xml:"enaSupport"`
	SriovNetSupport    string           `xml:"sriovNetSupport"`
	BootMode           string           `xml:"bootMode,omitempty"`
	ImdsSupport        string           `xml:"imdsSupport,omitempty"`
	PlatformDetails    string           `xml:"platformDetails"`
	UsageOperation     string           `xml:"usageOperation"`
	DeprecationTime    string           `xml:"deprecationTime"`
}

func toXMLImage(im *image) xmlImage {
	ebs := xmlEbs{SnapshotId: derivedID("snap", im.id()), VolumeSize: im.volumeSize, DeleteOnTermination: true, VolumeType: im.volumeType}
	if im.volumeType == "gp3" {
		ebs.Iops, ebs.Throughput = 3000, 125
	}
	location := im.owner + "/" + im.name
	if a := im.alias(); a != "" {
		location = a + "/" + im.name
	}
	x := xmlImage{
		ImageId: im.id(), ImageLocation: location, ImageState: "available", ImageOwnerId: im.owner,
		CreationDate: im.created, IsPublic: true, Architecture: im.arch, ImageType: "machine", ImageOwnerAlias: im.alias(),
		Name: im.name, Description: im.description, RootDeviceType: "ebs", RootDeviceName: im.rootDevice,
		BlockDevices:       []xmlBlockDevice{{DeviceName: im.rootDevice, Ebs: ebs}},
		VirtualizationType: "hvm", Hypervisor: "xen", EnaSupport: true, SriovNetSupport: "simple",
		PlatformDetails: im.platformDetails, UsageOperation: "RunInstances",
		// two years after creation, as EC2 sets for public images
		DeprecationTime: imageDeprecation(im.created),
	}
	if strings.HasPrefix(im.name, "al2023") {
		x.BootMode, x.ImdsSupport = "uefi-preferred", "v2.0"
	}
	return x
}

func imageDeprecation(created string) string {
	t, err := time.Parse(time.RFC3339, created)
	if err != nil {
		return ""
	}
	return t.AddDate(2, 0, 0).Format("2006-01-02T15:04:05.000Z")
}

func imageFilters() filterFields[*image] {
	type I = *image
	x := func(f func(xmlImage) string) func(I) []string {
		return func(im I) []string { return one(f(toXMLImage(im))) }
	}
	return filterFields[I]{
		"architecture":                               func(im I) []string { return one(im.arch) },
		"block-device-mapping.device-name":           x(func(v xmlImage) string { return v.RootDeviceName }),
		"block-device-mapping.snapshot-id":           x(func(v xmlImage) string { return v.BlockDevices[0].Ebs.SnapshotId }),
		"block-device-mapping.volume-type":           func(im I) []string { return one(im.volumeType) },
		"block-device-mapping.volume-size":           func(im I) []string { return num(im.volumeSize) },
		"block-device-mapping.delete-on-termination": func(I) []string { return tf(true) },
		"block-device-mapping.encrypted":             func(I) []string { return tf(false) },
		"creation-date":                              func(im I) []string { return one(im.created) },
		"description":                                func(im I) []string { return one(im.description) },
		"ena-support":                                func(I) []string { return tf(true) },
		"hypervisor":                                 func(I) []string { return one("xen") },
		"image-id":                                   func(im I) []string { return one(im.id()) },
		"image-type":                                 func(I) []string { return one("machine") },
		"is-public":                                  func(I) []string { return tf(true) },
		"manifest-location":                          x(func(v xmlImage) string { return v.ImageLocation }),
		"name":                                       func(im I) []string { return one(im.name) },
		"owner-alias":                                func(im I) []string { return one(im.alias()) },
		"owner-id":                                   func(im I) []string { return one(im.owner) },
		"platform-details":                           func(im I) []string { return one(im.platformDetails) },
		"root-device-name":                           func(im I) []string { return one(im.rootDevice) },
		"root-device-type":                           func(I) []string { return one("ebs") },
		"state":                                      func(I) []string { return one("available") },
		"sriov-net-support":                          func(I) []string { return one("simple") },
		"usage-operation":                            func(I) []string { return one("RunInstances") },
		"virtualization-type":                        func(I) []string { return one("hvm") },
	}
}

type describeImagesResult struct {
	Images    []xmlImage `xml:"imagesSet>item"`
	NextToken string     `xml:"nextToken,omitempty"`
}

// ownedBy says whether an image matches one of Owner.N: an account id,
// an alias (amazon), or self (the account, which owns no image here).
func (s *Server) ownedBy(im *image, owners []string) bool {
	if len(owners) == 0 {
		return true
	}
	return slices.Contains(owners, im.owner) || (im.alias() != "" && slices.Contains(owners, im.alias()))
}

// describeImages answers the catalogue: the images of ImageId.N (an
// unknown or malformed id is InvalidAMIID.NotFound / .Malformed, as EC2
// answers), of the owners Owner.N, filtered, paged by id.
func (s *Server) describeImages(c *call) (any, error) {
	ids := c.p.list("ImageId")
	owners := c.p.list("Owner")
	c.p.list("ExecutableBy")
	for _, b := range []string{"IncludeDeprecated", "IncludeDisabled"} {
		c.p.bool(b)
	}
	fs := c.p.filters()
	pg := c.p.paging(5, 1000)
	if c.p.ok() && len(ids) > 0 && pg.max > 0 {
		return nil, errorf(codes.InvalidParameterCombination, "The parameter ImageId cannot be used with the parameter MaxResults")
	}
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.read(func(*cloudmock.Spec, tagStore) (any, error) {
		return s.findImages(ids, owners, fs, pg)
	})
}

func (s *Server) findImages(ids, owners []string, fs []Filter, pg pager) (any, error) {
	all := imageCatalogue()
	for _, id := range ids {
		if !validAMIID(id) {
			return nil, errorf("InvalidAMIID.Malformed", "Invalid id: \"%s\" (expecting \"ami-...\")", id)
		}
		if !slices.ContainsFunc(all, func(im *image) bool { return im.id() == id }) {
			return nil, errorf("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", id)
		}
	}
	var items []*image
	for _, im := range all {
		if (len(ids) == 0 || slices.Contains(ids, im.id())) && s.ownedBy(im, owners) {
			items = append(items, im)
		}
	}
	id := func(im *image) string { return im.id() }
	items, next, err := filterPage(items, fs, pg, imageFilters(), id, tagStore{})
	if err != nil {
		return nil, err
	}
	out := describeImagesResult{NextToken: next}
	for _, im := range items {
		out.Images = append(out.Images, toXMLImage(im))
	}
	return out, nil
}

// validAMIID says whether id has an image id's shape: ami- and 8 or 17
// hex digits.
func validAMIID(id string) bool {
	h, ok := strings.CutPrefix(id, "ami-")
	if !ok || (len(h) != 8 && len(h) != 17) {
		return false
	}
	return strings.Trim(h, "0123456789abcdef") == ""
}
