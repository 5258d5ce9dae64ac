package ec2api

import (
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// A change leaves the published state as it was (queries read it without
// a lock while the change runs): tags included, whose maps the change's
// copy shares.
func TestChangeLeavesPublishedStateAlone(t *testing.T) {
	s, c := testServer(t, Config{Names: map[string]string{eniWeb: "web-eni"}})
	must(c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{eniWeb}, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}}))(t)
	old := s.cur.Load()
	before := old.spec.Clone()
	tagsBefore := old.tags.deepClone()
	must(c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{eniWeb}, Tags: []types.Tag{{Key: aws.String("team")}}}))(t)
	must(c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{eniWeb}, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("renamed")}}}))(t)
	fid := newFilter(t, c, "x")
	newRule(t, c, ruleIn(fid, types.TrafficDirectionIngress, 100, types.TrafficMirrorRuleActionAccept))
	if !reflect.DeepEqual(old.tags.plain(), tagsBefore.plain()) || !reflect.DeepEqual(old.spec, before) {
		t.Fatalf("changes altered a published state: tags %v, want %v", old.tags.plain(), tagsBefore.plain())
	}
	if got := s.Tags(eniWeb); got["Name"] != "renamed" || got["team"] != "" {
		t.Fatalf("tags after the changes: %v", got)
	}
}
