package ec2api

import (
	"errors"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

func TestPickByIDNamesEachItemOnce(t *testing.T) {
	all := []cloudmock.Vpc{{VpcId: "vpc-b"}, {VpcId: "vpc-a"}, {VpcId: "vpc-c"}}
	find := func(id string) int { return indexByID(all, id, idOfVpc) }
	q := describeQuery{ids: []string{"vpc-c", "vpc-a", "vpc-c"}}
	items, next, err := pickByID(q, all, find, vpcNotFound, filterFields[*cloudmock.Vpc]{}, idOfVpc, tagStore{})
	if err != nil || next != "" {
		t.Fatalf("pickByID: %v, next %q", err, next)
	}
	if len(items) != 2 || items[0].VpcId != "vpc-a" || items[1].VpcId != "vpc-c" {
		t.Fatalf("pickByID(c, a, c) = %v, want vpc-a and vpc-c once each, by id", items)
	}
	q.ids = []string{"vpc-a", "vpc-x", "vpc-y"}
	for _, f := range []func(string) int{find, nil} { // nil: by id
		_, _, err = pickByID(q, all, f, vpcNotFound, filterFields[*cloudmock.Vpc]{}, idOfVpc, tagStore{})
		var ae *apiError
		if !errors.As(err, &ae) || ae.Code != codeVpcNotFound || ae.Message != "The vpc ID 'vpc-x' does not exist." {
			t.Fatalf("unknown ids: %v, want the first unknown one (vpc-x) NotFound", err)
		}
	}
	q.ids = []string{"vpc-b"}
	items, _, err = pickByID(q, all, nil, vpcNotFound, filterFields[*cloudmock.Vpc]{}, idOfVpc, tagStore{})
	if err != nil || len(items) != 1 || items[0] != &all[0] {
		t.Fatalf("pickByID(b) by id = %v, %v; want the stored vpc-b", items, err)
	}
}

func TestRemoveByID(t *testing.T) {
	items := []cloudmock.Subnet{{SubnetId: "subnet-a"}, {SubnetId: "subnet-b"}, {SubnetId: "subnet-c"}}
	got, err := removeByID(&items, "subnet-b", idOfSubnet, subnetNotFound)
	if err != nil || got.SubnetId != "subnet-b" {
		t.Fatalf("removeByID(b) = %v, %v", got, err)
	}
	if len(items) != 2 || items[0].SubnetId != "subnet-a" || items[1].SubnetId != "subnet-c" {
		t.Fatalf("after removing b: %v", items)
	}
	if _, err := removeByID(&items, "subnet-b", idOfSubnet, subnetNotFound); err == nil || len(items) != 2 {
		t.Fatalf("removing b again: %v, %d left; want NotFound and nothing removed", err, len(items))
	}
	x, err := findByID(items, "subnet-c", idOfSubnet, subnetNotFound)
	if err != nil || x != &items[1] {
		t.Fatalf("findByID(c) = %p, %v; want the stored item %p", x, err, &items[1])
	}
	if _, err := findByID(items, "subnet-z", idOfSubnet, subnetNotFound); err == nil {
		t.Fatal("findByID of an unknown id answered no error")
	}
}
