package ec2api

import (
	"slices"
	"strconv"
	"time"
)

// Volumes are not modelled: each instance launched from the catalogue has
// one root volume, derived from it (its image's root device, size and
// type), attached while the instance lives and deleted with it. That is
// what the Terraform provider reads for root_block_device (the instance's
// blockDeviceMapping, then DescribeVolumes by id). A launch's volume tags
// are its root volume's.

// rootVolume is an instance's root volume.
type rootVolume struct {
	id, instance, device, zone, volumeType, snapshot string
	size, iops, throughput                           int
	attached                                         time.Time
}

// rootVolumeOf is the root volume of a live instance; false for one with
// no image (a scenario's instance) or no longer running.
func (s *Server) rootVolumeOf(in *instance) (rootVolume, bool) {
	if in.model == nil || in.rec.gone != nil {
		return rootVolume{}, false
	}
	im := findImage(in.model.ImageId)
	if im == nil {
		return rootVolume{}, false
	}
	x := toXMLImage(im).BlockDevices[0].Ebs
	return rootVolume{
		id: derivedID("vol", in.id), instance: in.id, device: im.rootDevice, zone: s.subnetZone(in.subnetOf()).ZoneName,
		volumeType: x.VolumeType, snapshot: x.SnapshotId, size: x.VolumeSize, iops: x.Iops, throughput: x.Throughput, attached: in.rec.launched,
	}, true
}

type xmlEbsInstanceDevice struct {
	VolumeId            string `xml:"volumeId"`
	Status              string `xml:"status"`
	AttachTime          string `xml:"attachTime,omitempty"`
	DeleteOnTermination bool   `xml:"deleteOnTermination"`
}

type xmlInstanceBlockDevice struct {
	DeviceName string               `xml:"deviceName"`
	Ebs        xmlEbsInstanceDevice `xml:"ebs"`
}

// blockDevices is an instance's blockDeviceMapping: its root volume.
func (s *Server) blockDevices(in *instance) []xmlInstanceBlockDevice {
	v, ok := s.rootVolumeOf(in)
	if !ok {
		return nil
	}
	return []xmlInstanceBlockDevice{{DeviceName: v.device, Ebs: xmlEbsInstanceDevice{VolumeId: v.id, Status: "attached",
		AttachTime: timeOrEmpty(v.attached), DeleteOnTermination: true}}}
}

func timeOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

type xmlVolumeAttachment struct {
	VolumeId            string `xml:"volumeId"`
	InstanceId          string `xml:"instanceId"`
	Device              string `xml:"device"`
	Status              string `xml:"status"`
	AttachTime          string `xml:"attachTime,omitempty"`
	DeleteOnTermination bool   `xml:"deleteOnTermination"`
}

type xmlVolume struct {
	VolumeId         string                `xml:"volumeId"`
	Size             int                   `xml:"size"`
	SnapshotId       string                `xml:"snapshotId"`
	AvailabilityZone string                `xml:"availabilityZone"`
	Status           string                `xml:"status"`
	CreateTime       string                `xml:"createTime,omitempty"`
	Attachments      []xmlVolumeAttachment `xml:"attachmentSet>item"`
	VolumeType       string                `xml:"volumeType"`
	Iops             int                   `xml:"iops,omitempty"`
	Throughput       int                   `xml:"throughput,omitempty"`
	Encrypted        bool                  `xml:"encrypted"`
	MultiAttach      bool                  `xml:"multiAttachEnabled"`
	Tags             []tag                 `xml:"tagSet>item"`
}

func (v *rootVolume) xml(tags tagStore) xmlVolume {
	at := timeOrEmpty(v.attached)
	return xmlVolume{VolumeId: v.id, Size: v.size, SnapshotId: v.snapshot, AvailabilityZone: v.zone, Status: "in-use", CreateTime: at,
		Attachments: []xmlVolumeAttachment{{VolumeId: v.id, InstanceId: v.instance, Device: v.device, Status: "attached", AttachTime: at, DeleteOnTermination: true}},
		VolumeType:  v.volumeType, Iops: v.iops, Throughput: v.throughput, Tags: tags.xml(v.id)}
}

func volumeFilters() filterFields[*rootVolume] {
	type V = *rootVolume
	return filterFields[V]{
		"attachment.instance-id":           func(v V) []string { return one(v.instance) },
		"attachment.device":                func(v V) []string { return one(v.device) },
		"attachment.status":                func(V) []string { return one("attached") },
		"attachment.delete-on-termination": func(V) []string { return tf(true) },
		"availability-zone":                func(v V) []string { return one(v.zone) },
		"encrypted":                        func(V) []string { return tf(false) },
		"size":                             func(v V) []string { return one(strconv.Itoa(v.size)) },
		"snapshot-id":                      func(v V) []string { return one(v.snapshot) },
		"status":                           func(V) []string { return one("in-use") },
		"volume-id":                        func(v V) []string { return one(v.id) },
		"volume-type":                      func(v V) []string { return one(v.volumeType) },
	}
}

// describeVolumes answers the instances' root volumes by VolumeId.N,
// filtered, paged (MaxResults 5-500).
func (s *Server) describeVolumes(c *call) (any, error) {
	q, err := c.readDescribePage("VolumeId", 500)
	if err != nil {
		return nil, err
	}
	return c.readAll(func(cur *published) (any, error) {
		var items []*rootVolume
		for _, in := range listInstances(&cur.spec, cur.inst, time.Time{}) {
			if v, ok := s.rootVolumeOf(in); ok && (len(q.ids) == 0 || slices.Contains(q.ids, v.id)) {
				items = append(items, &v)
			}
		}
		for _, id := range q.ids {
			if !slices.ContainsFunc(items, func(v *rootVolume) bool { return v.id == id }) {
				return nil, errorf("InvalidVolume.NotFound", "The volume '%s' does not exist.", id)
			}
		}
		key := func(v *rootVolume) string { return v.id }
		items, next, err := filterPage(items, q.fs, q.pg, volumeFilters(), key, tagStore{})
		if err != nil {
			return nil, err
		}
		out := struct {
			Volumes   []xmlVolume `xml:"volumeSet>item"`
			NextToken string      `xml:"nextToken,omitempty"`
		}{NextToken: next}
		for _, v := range items {
			out.Volumes = append(out.Volumes, v.xml(cur.tags))
		}
		return out, nil
	})
}
