package ec2api

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
)

// EC2's API version and XML namespace.
const (
	ec2Version   = "2016-11-15"
	ec2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"
)

// protocolStyle is how a service frames its answers.
type protocolStyle int

const (
	// styleEC2 is the EC2 query protocol: <ActionResponse xmlns=…> with a
	// requestId and the result's fields; errors as
	// <Response><Errors><Error>…</Error></Errors><RequestID>.
	styleEC2 protocolStyle = iota
	// styleQuery is the AWS query protocol (Elastic Load Balancing v2 and
	// others): <ActionResponse><ActionResult>…</ActionResult>
	// <ResponseMetadata><RequestId>; errors as <ErrorResponse><Error>
	// <Type/><Code/><Message/></Error><RequestId/></ErrorResponse>.
	styleQuery
)

// actionFunc runs one API action. It returns the result, a struct whose
// fields (with xml tags named as the SDK's deserializer expects) become
// the children of the response element, or an error (an *apiError, or a
// model validation error, mapped by asAPIError).
type actionFunc func(c *call) (any, error)

// service is one API on the endpoint, selected by the request's Version:
// EC2 (2016-11-15), and whatever api2 adds (ELBv2, 2015-12-01). Each
// file of actions has a register function that fills actions; New calls
// them all (see register.go).
type service struct {
	name      string
	version   string
	namespace string
	style     protocolStyle
	actions   map[string]actionFunc
}

// fieldsXML marshals v's fields without an element of its own.
func fieldsXML(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	b, err := xml.Marshal(struct {
		XMLName xml.Name `xml:"x"`
		V       any
	}{V: v})
	if err != nil {
		return nil, err
	}
	// The anonymous wrapper gives <x><V>…</V></x>, or <x></x> for an
	// empty struct: take what lies inside <V>.
	inner := bytes.TrimSuffix(bytes.TrimPrefix(b, []byte("<x>")), []byte("</x>"))
	inner = bytes.TrimSuffix(bytes.TrimPrefix(inner, []byte("<V>")), []byte("</V>"))
	return inner, nil
}

// writeResult writes a successful answer.
func writeResult(w http.ResponseWriter, svc *service, action, requestID string, result any) error {
	inner, err := fieldsXML(result)
	if err != nil {
		return fmt.Errorf("encode %s result: %w", action, err)
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, `<%sResponse xmlns="%s">`, action, svc.namespace)
	switch svc.style {
	case styleQuery:
		fmt.Fprintf(&b, "<%sResult>", action)
		b.Write(inner)
		fmt.Fprintf(&b, "</%sResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata>", action, escape(requestID))
	default:
		fmt.Fprintf(&b, "<requestId>%s</requestId>", escape(requestID))
		b.Write(inner)
	}
	fmt.Fprintf(&b, "</%sResponse>", action)
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Header().Set("X-Amzn-RequestId", requestID) // where the query protocol's SDKs read it
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(b.Bytes())
	return err
}

// writeError writes an error answer in the service's style (EC2's when
// svc is nil: no version could be chosen).
func writeError(w http.ResponseWriter, svc *service, requestID string, e *apiError) {
	var b strings.Builder
	b.WriteString(xml.Header)
	if svc != nil && svc.style == styleQuery {
		typ := "Sender"
		if e.Status >= 500 {
			typ = "Receiver"
		}
		fmt.Fprintf(&b, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
			svc.namespace, typ, escape(e.Code), escape(e.Message), escape(requestID))
	} else {
		fmt.Fprintf(&b, `<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>`,
			escape(e.Code), escape(e.Message), escape(requestID))
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Header().Set("X-Amzn-RequestId", requestID)
	w.WriteHeader(e.Status)
	_, _ = w.Write([]byte(b.String())) // the client went away: nothing to do
}

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}
