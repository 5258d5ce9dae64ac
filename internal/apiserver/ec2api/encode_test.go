package ec2api

import (
	"encoding/xml"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// describeWriters write each model resource type (an element type of
// Spec's lists) as its Describe action answers it.
func describeWriters(s *Server, spec *cloudmock.Spec) map[reflect.Type]func(v any) any {
	return map[reflect.Type]func(v any) any{
		reflect.TypeFor[cloudmock.Vpc]():           func(v any) any { return s.toXMLVpc(v.(*cloudmock.Vpc), "available", tagStore{}) },
		reflect.TypeFor[cloudmock.Subnet]():        func(v any) any { return s.toXMLSubnet(spec, v.(*cloudmock.Subnet), tagStore{}) },
		reflect.TypeFor[cloudmock.NetworkAcl]():    func(v any) any { return s.toXMLACL(v.(*cloudmock.NetworkAcl), tagStore{}) },
		reflect.TypeFor[cloudmock.SecurityGroup](): func(v any) any { return s.toXMLGroup(v.(*cloudmock.SecurityGroup), tagStore{}) },
		reflect.TypeFor[cloudmock.RouteTable]():    func(v any) any { return s.toXMLRouteTable(spec, v.(*cloudmock.RouteTable), tagStore{}) },
		reflect.TypeFor[cloudmock.TransitGateway](): func(v any) any {
			return s.toXMLTransitGateway(v.(*cloudmock.TransitGateway), "available", tagStore{})
		},
		reflect.TypeFor[cloudmock.TransitGatewayVpcAttachment](): func(v any) any {
			return s.toXMLAttachment(v.(*cloudmock.TransitGatewayVpcAttachment), "available", tagStore{})
		},
		reflect.TypeFor[cloudmock.VpcPeeringConnection](): func(v any) any {
			return s.toXMLPeering(spec, v.(*cloudmock.VpcPeeringConnection), tagStore{})
		},
		reflect.TypeFor[cloudmock.NetworkInterface](): func(v any) any {
			return s.toXMLENI(s.eniOf(spec, v.(*cloudmock.NetworkInterface)), tagStore{})
		},
		reflect.TypeFor[cloudmock.VpcEndpointService](): func(v any) any {
			return s.toXMLService(spec, v.(*cloudmock.VpcEndpointService), tagStore{})
		},
		reflect.TypeFor[cloudmock.LoadBalancer](): func(v any) any { return s.toXMLLB(spec, v.(*cloudmock.LoadBalancer), "active") },
		reflect.TypeFor[cloudmock.TargetGroup](): func(v any) any {
			tg := v.(*cloudmock.TargetGroup)
			return toXMLTG(tgView{arn: tg.TargetGroupArn, proto: tg.Protocol, port: tg.Port, vpc: tg.VpcId, targetType: tg.TargetType, hc: *tg.HealthCheck})
		},
		reflect.TypeFor[cloudmock.Instance](): func(v any) any {
			m := v.(*cloudmock.Instance)
			return s.toXMLInstance(spec, &instance{id: m.InstanceId, model: m}, tagStore{})
		},
		reflect.TypeFor[cloudmock.TrafficMirrorFilter](): func(v any) any { return toXMLFilter(v.(*cloudmock.TrafficMirrorFilter), tagStore{}) },
		reflect.TypeFor[cloudmock.TrafficMirrorTarget](): func(v any) any { return s.toXMLTarget(v.(*cloudmock.TrafficMirrorTarget), tagStore{}) },
		reflect.TypeFor[cloudmock.TrafficMirrorSession](): func(v any) any {
			return s.toXMLSession(v.(*cloudmock.TrafficMirrorSession), tagStore{})
		},
	}
}

// queryTypes are the resource types ELBv2 (the query protocol) answers.
var queryTypes = map[string]bool{"LoadBalancer": true, "TargetGroup": true}

// TestModelFieldsServed fails when a model resource type has an exported
// field that its Describe answer neither writes nor lists as not served
// (shapes): a new model field must show in the API, or say why not.
func TestModelFieldsServed(t *testing.T) {
	s, _ := testServer(t, Config{})
	spec := fixtureSpec()
	writers := describeWriters(s, &spec)
	st := reflect.TypeFor[cloudmock.Spec]()
	for i := range st.NumField() {
		f := st.Field(i)
		if f.Type.Kind() != reflect.Slice {
			continue
		}
		rt := f.Type.Elem()
		if rt.Kind() == reflect.Pointer { // the filters
			rt = rt.Elem()
		}
		w, ok := writers[rt]
		if !ok {
			t.Errorf("Spec.%s: no Describe writer for %s in describeWriters", f.Name, rt.Name())
			continue
		}
		v := reflect.New(rt)
		fill(v.Elem())
		b, err := xml.Marshal(struct {
			XMLName xml.Name `xml:"x"`
			V       any      `xml:"v"`
		}{V: w(v.Interface())})
		if err != nil {
			t.Errorf("%s: %v", rt.Name(), err)
			continue
		}
		var root xmlTree
		if err := xml.Unmarshal(b, &root); err != nil {
			t.Fatalf("%s: %v\n%s", rt.Name(), err, b)
		}
		checkServed(t, rt.Name(), rt, root.child("v"), queryTypes[rt.Name()])
	}
}

// checkServed fails for each field of t with no element under x (and,
// for a model struct field, for its fields under that element).
func checkServed(t *testing.T, path string, typ reflect.Type, x *xmlTree, query bool) {
	t.Helper()
	if x == nil {
		t.Errorf("%s: not written", path)
		return
	}
	sh := shapes[typ]
	for i := range typ.NumField() {
		f := typ.Field(i)
		if !f.IsExported() || sh.notServed[f.Name] != "" {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if slices.Contains(sh.inline, f.Name) {
			checkServed(t, path+"."+f.Name, ft, x, query)
			continue
		}
		name := elementName(f, sh, query)
		c := x.child(name)
		if c == nil {
			t.Errorf("%s.%s: the answer has no <%s> (write it, or list the field in shapes' notServed with where it is served)", path, f.Name, name)
			continue
		}
		if ft.Kind() == reflect.Slice {
			c, ft = c.items(), ft.Elem()
		}
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && isModel(ft) {
			checkServed(t, path+"."+f.Name, ft, c, query)
		}
	}
}

// TestShapesNameFields fails for a shapes entry naming a field its type
// does not have (left over from a renamed or removed field).
func TestShapesNameFields(t *testing.T) {
	for typ, sh := range shapes {
		var names []string
		for n := range sh.names {
			names = append(names, n)
		}
		for n := range sh.notServed {
			names = append(names, n)
		}
		names = append(append(append(names, sh.omitEmpty...), sh.first...), sh.inline...)
		for _, n := range names {
			if _, ok := typ.FieldByName(n); !ok {
				t.Errorf("shapes[%s] names field %s, which it does not have", typ.Name(), n)
			}
		}
	}
}

// fill sets every exported field of v to a value that is not zero.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Int, reflect.Int64:
		v.SetInt(7)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	}
}

// xmlTree is an XML element read without a schema.
type xmlTree struct {
	XMLName xml.Name
	Kids    []xmlTree `xml:",any"`
	Text    string    `xml:",chardata"`
}

// items is x's items as one element holding the children of them all
// (a field is served when some item shows it).
func (x *xmlTree) items() *xmlTree {
	var all xmlTree
	for _, it := range x.Kids {
		if it.XMLName.Local == "item" || it.XMLName.Local == "member" {
			all.Kids = append(all.Kids, it.Kids...)
		}
	}
	if len(all.Kids) == 0 {
		return nil
	}
	return &all
}

func (x *xmlTree) child(name string) *xmlTree {
	if x == nil {
		return nil
	}
	for i := range x.Kids {
		if x.Kids[i].XMLName.Local == name {
			return &x.Kids[i]
		}
	}
	return nil
}

// TestEncodeRule pins encode.go's rule on a model type: lowerCamel
// names, xxxSet lists of items, nil pointers left out, swapped fields
// and added elements.
func TestEncodeRule(t *testing.T) {
	f := cloudmock.TrafficMirrorFilterRule{TrafficMirrorFilterRuleId: "r", RuleNumber: 3, RuleAction: "accept",
		SourceCidrBlock: "a", DestinationCidrBlock: "b", SourcePortRange: &cloudmock.TrafficMirrorPortRange{FromPort: 1, ToPort: 2}}
	b, err := xml.Marshal(res(f).set("RuleAction", "reject").with(xel{"extra", []string{"p", "q"}}))
	if err != nil {
		t.Fatal(err)
	}
	want := "<xres><trafficMirrorFilterRuleId>r</trafficMirrorFilterRuleId><ruleNumber>3</ruleNumber><ruleAction>reject</ruleAction>" +
		"<sourceCidrBlock>a</sourceCidrBlock><destinationCidrBlock>b</destinationCidrBlock>" +
		"<sourcePortRange><fromPort>1</fromPort><toPort>2</toPort></sourcePortRange>" +
		"<extra><item>p</item><item>q</item></extra></xres>"
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	if got := singular("entries") + "," + singular("addresses") + "," + singular("routes"); got != "entry,address,route" {
		t.Fatalf("singular: %s", got)
	}
	if _, err := xml.Marshal(res(3)); err == nil || !strings.Contains(err.Error(), "not a model struct") {
		t.Fatalf("a non-struct: %v", err)
	}
}
