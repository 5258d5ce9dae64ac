package alibaba

import (
	"net/http"
	"strings"
)

// KeyID returns the access key id a request was signed with, for
// httpserve.Guard: ACS3's Authorization header
// ("ACS3-HMAC-SHA256 Credential=KEY,SignedHeaders=…,Signature=…") or
// signature v1's AccessKeyId query parameter. An AccessKeyId sent only in
// a form body is not read (the guard does not consume bodies), so such a
// request counts as unsigned.
func KeyID(r *http.Request) (string, bool) {
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "ACS3-") {
		for _, part := range strings.Split(auth, ",") {
			part = strings.TrimSpace(part)
			if i := strings.Index(part, "Credential="); i >= 0 {
				id := part[i+len("Credential="):]
				return id, id != ""
			}
		}
	}
	id := r.URL.Query().Get("AccessKeyId")
	return id, id != ""
}

// Refuse answers a request that httpserve.Guard refused, in Alibaba's
// error shape.
func (s *Server) Refuse(w http.ResponseWriter, _ *http.Request, status int, code, msg string) {
	writeError(w, s.newRequestID(), &apiError{Status: status, Code: code, Message: msg})
}
