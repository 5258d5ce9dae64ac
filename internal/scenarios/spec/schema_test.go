package spec

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

func libraryFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../../scenarios/library/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{"../../../scenarios/default.yaml"}, files...)
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	sch, err := c.Compile("../../../scenarios/schema.json")
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return sch
}

// asJSON turns YAML into the JSON value an editor validates.
func asJSON(t *testing.T, src []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(src, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func TestLibraryValidatesAgainstSchema(t *testing.T) {
	sch := compileSchema(t)
	files := libraryFiles(t)
	if len(files) < 2 {
		t.Fatalf("library holds %d files", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s, err := Load(f)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			src := mustRead(t, f)
			if err := sch.Validate(asJSON(t, src)); err != nil {
				t.Fatalf("schema: %v", err)
			}
			// a scenario with model problems must expect them
			if ps := s.ModelProblems(); ps != nil {
				if !s.ExpectsRefusal() {
					t.Fatalf("model problems but no validationError expectation: %v", ps)
				}
			}
		})
	}
}

func TestSchemaRejectsUnknownFieldsAndBadValues(t *testing.T) {
	sch := compileSchema(t)
	good := mustRead(t, "../../../scenarios/default.yaml")
	for name, edit := range map[string]func(string) string{
		"unknown top-level field": func(s string) string { return s + "bogus: 1\n" },
		"unknown session field": func(s string) string {
			return strings.Replace(s, "      SessionNumber: 1\n", "      SessionNumber: 1\n      Vni: 2\n", 1)
		},
		"bad rule action": func(s string) string { return strings.Replace(s, "RuleAction: accept", "RuleAction: allow", 1) },
		"bad builtin":     func(s string) string { return strings.Replace(s, "builtin: agent", "builtin: nginx", 1) },
		"bad duration":    func(s string) string { return strings.Replace(s, "settle: 2s", "settle: two", 1) },
	} {
		t.Run(name, func(t *testing.T) {
			bad := edit(string(good))
			if bad == string(good) {
				t.Fatal("edit changed nothing")
			}
			if err := sch.Validate(asJSON(t, []byte(bad))); err == nil {
				t.Fatal("schema accepted it")
			}
		})
	}
}

// TestSchemaMatchesTypes checks that the schema and the Go types know the
// same keys, so that neither can drift from the other.
func TestSchemaMatchesTypes(t *testing.T) {
	var schema map[string]any
	if err := json.Unmarshal(mustRead(t, "../../../scenarios/schema.json"), &schema); err != nil {
		t.Fatal(err)
	}
	defs := schema["$defs"].(map[string]any)
	var check func(path string, typ reflect.Type, node map[string]any)
	check = func(path string, typ reflect.Type, node map[string]any) {
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		if ref, ok := node["$ref"].(string); ok {
			node = defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		}
		if typ.Kind() == reflect.Slice {
			items, _ := node["items"].(map[string]any)
			if items == nil {
				t.Errorf("%s: schema has no items", path)
				return
			}
			check(path+"[]", typ.Elem(), items)
			return
		}
		if typ.Kind() != reflect.Struct || typ.PkgPath() != reflect.TypeOf(Scenario{}).PkgPath() ||
			typ.Name() == "ipPrefix" || typ.Name() == "ipAddr" || selfDecoding(typ) {
			return // the model's tables are checked by TestTablesMatchSchema
		}
		props, _ := node["properties"].(map[string]any)
		if node["additionalProperties"] != false {
			t.Errorf("%s: schema allows additional properties", path)
		}
		goKeys := structKeys(typ, func(reflect.Type) {})
		fields := map[string]reflect.Type{}
		collectYAMLFields(typ, fields)
		// the kinds of expectations and traffic steps: one key each, from
		// their registries
		for key, kt := range kindTypes(typ) {
			goKeys = append(goKeys, key)
			fields[key] = kt
		}
		sort.Strings(goKeys)
		var schemaKeys []string
		for k := range props {
			schemaKeys = append(schemaKeys, k)
		}
		sort.Strings(schemaKeys)
		if !reflect.DeepEqual(goKeys, schemaKeys) {
			t.Errorf("%s (%s): Go keys %v, schema keys %v", path, typ.Name(), goKeys, schemaKeys)
			return
		}
		for k, ft := range fields {
			check(path+"."+k, ft, props[k].(map[string]any))
		}
	}
	check("", reflect.TypeOf(Scenario{}), schema)
}

// kindTypes returns, for Expectation and Traffic, each kind's key and type.
func kindTypes(typ reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	switch typ {
	case reflect.TypeOf(Expectation{}):
		for _, k := range expectKinds {
			out[k.key] = reflect.TypeOf(k.new())
		}
	case reflect.TypeOf(Traffic{}):
		for _, k := range trafficKinds {
			out[k.key] = reflect.TypeOf(k.new())
		}
	}
	return out
}
