package ec2api

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The API writes a model resource (a cloudmock type) as EC2 XML by
// reflection over the model's type, not through a hand-written copy of
// it: each exported field becomes the element EC2 names after it, its
// name in lowerCamel (VpcId → vpcId); a slice becomes
// <xxxSet><item>…</item></xxxSet> (IngressFilterRules →
// ingressFilterRuleSet). shapes lists, per model type, where EC2's name
// differs, which empty fields EC2 leaves out, and which fields a
// Describe answer does not serve (with where they are served instead).
// What the model does not hold (the owner, a state, derived ids) the
// action adds as extra elements (xres.add), and a field the answer shows
// converted (sorted, renumbered, joined with others) it swaps
// (xres.swap). So a new model field shows in the answers with no edit
// here; TestModelFieldsServed fails when one does not.
//
// The mapping stays here, not as xml tags on the model: the model is
// plain data shared by the YAML loader, the export and the API, and must
// not carry one wire format's names.

// xel is one element the model does not hold: its name and value. With
// no name, the value is a struct whose elements (as encoding/xml writes
// them) stand in place.
type xel struct {
	name string
	v    any
}

// xres is a model value written as EC2 XML.
type xres struct {
	// v is the model value, a struct or a pointer to one.
	v any
	// swap writes a field from another value (its element name stays
	// the field's).
	swap map[string]any
	// add are elements the model does not hold, written after the fields.
	add []xel
	// query writes in the query protocol's style (ELBv2's).
	query bool
}

// res is a model value (a struct or a pointer to one) to write: a copy
// of the struct, taken now, so that the answer shows the value as the
// action saw it.
func res(v any) xres {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return xres{v: v}
	}
	return xres{v: rv.Interface()}
}

// qres is res for the query protocol (ELBv2).
func qres(v any) xres {
	r := res(v)
	r.query = true
	return r
}

// with returns r with more elements added.
func (r xres) with(add ...xel) xres {
	r.add = append(r.add, add...)
	return r
}

// set returns r with a field written from v.
func (r xres) set(field string, v any) xres {
	m := make(map[string]any, len(r.swap)+1)
	for k, x := range r.swap {
		m[k] = x
	}
	m[field] = v
	r.swap = m
	return r
}

// listResult is a Describe answer: its items in the set EC2 (or ELBv2)
// names, and the token of the next page.
type listResult struct {
	set   string
	items []xres
	next  string
	query bool
}

// MarshalXML writes the answer's fields in start (which fieldsXML
// takes off).
func (l listResult) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	w, token := wire{e, l.query}, "nextToken"
	if l.query {
		token = "NextMarker"
	}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	if err := w.value(l.set, reflect.ValueOf(l.items), false); err != nil {
		return err
	}
	if err := w.value(token, reflect.ValueOf(l.next), true); err != nil {
		return err
	}
	return e.EncodeToken(start.End())
}

// itemResult is the answer of an action that creates or changes one
// resource: the resource in its element, and the client token.
type itemResult struct {
	name  string
	item  xres
	token string
}

// MarshalXML writes the answer's fields in start (which fieldsXML
// takes off).
func (r itemResult) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	if err := e.EncodeElement(r.item, xml.StartElement{Name: xml.Name{Local: r.name}}); err != nil {
		return err
	}
	if r.token != "" {
		if err := e.EncodeElement(r.token, xml.StartElement{Name: xml.Name{Local: "clientToken"}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// shape is how EC2 shows one model type, where it departs from the rule.
type shape struct {
	// names are EC2's element names where they are not the rule's.
	names map[string]string
	// omitEmpty are the fields EC2 leaves out when empty (others are
	// written empty: <description></description>, <xxxSet></xxxSet>).
	omitEmpty []string
	// inline are struct fields whose own fields are written in their
	// place (ELBv2 shows a target group's HealthCheck so).
	inline []string
	// first are fields written before the others, in this order (where a
	// client reads the answer's bytes).
	first []string
	// notServed are the fields no answer of the type's Describe action
	// shows, each with where it is served instead or why not.
	notServed map[string]string
}

// MarshalXML writes r as the element start.
func (r xres) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	v := reflect.ValueOf(r.v)
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return fmt.Errorf("encode %s: %T is not a model struct", start.Name.Local, r.v)
	}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	w := wire{e, r.query}
	if err := w.fields(v, r.swap); err != nil {
		return fmt.Errorf("encode %s: %w", start.Name.Local, err)
	}
	for _, x := range r.add {
		if x.name == "" {
			if err := inlineXML(e, x.v); err != nil {
				return fmt.Errorf("encode %s: %w", start.Name.Local, err)
			}
			continue
		}
		if err := w.value(x.name, reflect.ValueOf(x.v), false); err != nil {
			return fmt.Errorf("encode %s.%s: %w", start.Name.Local, x.name, err)
		}
	}
	return e.EncodeToken(start.End())
}

// wire writes model values in one protocol's style: EC2's, or the query
// protocol's of ELBv2 (query: elements named as the fields, lists of
// <member>).
type wire struct {
	e     *xml.Encoder
	query bool
}

// fields writes a model struct's served fields, swapped ones from swap.
func (w wire) fields(v reflect.Value, swap map[string]any) error {
	t := v.Type()
	sh := shapes[t]
	order := make([]int, 0, t.NumField())
	for _, name := range sh.first {
		if f, ok := t.FieldByName(name); ok {
			order = append(order, f.Index[0])
		}
	}
	for i := range t.NumField() {
		if !slices.Contains(sh.first, t.Field(i).Name) {
			order = append(order, i)
		}
	}
	for _, i := range order {
		f := t.Field(i)
		if !f.IsExported() || sh.notServed[f.Name] != "" {
			continue
		}
		fv := v.Field(i)
		if x, ok := swap[f.Name]; ok {
			fv = reflect.ValueOf(x)
		}
		var err error
		if slices.Contains(sh.inline, f.Name) {
			err = w.inline(fv, swap)
		} else {
			err = w.value(elementName(f, sh, w.query), fv, slices.Contains(sh.omitEmpty, f.Name))
		}
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	return nil
}

// inline writes the fields of a struct field (or of what it points to)
// in place of the field.
func (w wire) inline(v reflect.Value, swap map[string]any) error {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	return w.fields(v, swap)
}

// elementName is the element of a model field.
func elementName(f reflect.StructField, sh shape, query bool) string {
	if n := sh.names[f.Name]; n != "" {
		return n
	}
	if query {
		return f.Name
	}
	n := lowerFirst(f.Name)
	if f.Type.Kind() == reflect.Slice {
		n = singular(n) + "Set"
	}
	return n
}

// value writes one element: a model struct by its fields, a slice as
// <name><item>…</item></name> (<member> in the query style), a nil
// pointer or invalid value not at all, anything else as encoding/xml
// does.
func (w wire) value(name string, v reflect.Value, omitEmpty bool) error {
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		if v.IsNil() {
			return nil
		}
		if _, ok := v.Interface().(xml.Marshaler); ok {
			break
		}
		v = v.Elem()
	}
	if !v.IsValid() || (omitEmpty && v.IsZero()) {
		return nil
	}
	start := xml.StartElement{Name: xml.Name{Local: name}}
	switch {
	case v.Kind() == reflect.Slice:
		if omitEmpty && v.Len() == 0 {
			return nil
		}
		if err := w.e.EncodeToken(start); err != nil {
			return err
		}
		item := "item"
		if w.query {
			item = "member"
		}
		for i := range v.Len() {
			if err := w.value(item, v.Index(i), false); err != nil {
				return err
			}
		}
		return w.e.EncodeToken(start.End())
	case v.Kind() == reflect.Struct && isModel(v.Type()):
		return xres{v: v.Interface(), query: w.query}.MarshalXML(w.e, start)
	}
	return w.e.EncodeElement(v.Interface(), start)
}

// inlineXML writes the elements of v (a struct with xml tags) without an
// element of its own.
func inlineXML(e *xml.Encoder, v any) error {
	b, err := fieldsXML(v)
	if err != nil {
		return err
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := e.EncodeToken(xml.CopyToken(tok)); err != nil {
			return err
		}
	}
}

// isModel says whether t is one of the model's types (package cloudmock).
func isModel(t reflect.Type) bool { return strings.HasSuffix(t.PkgPath(), "/cloudmock") }

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}

// singular is a plural field name's singular (Entries → Entry, Routes →
// Route, Addresses → Address).
func singular(s string) string {
	switch {
	case strings.HasSuffix(s, "ies"):
		return strings.TrimSuffix(s, "ies") + "y"
	case strings.HasSuffix(s, "sses"):
		return strings.TrimSuffix(s, "es")
	}
	return strings.TrimSuffix(s, "s")
}

// tagSet is a resource's tags as the element EC2 lists them in.
func tagSet(tags tagStore, id string) xel { return xel{"tagSet", tags.xml(id)} }
