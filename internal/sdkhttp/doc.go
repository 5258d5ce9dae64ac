// Package sdkhttp is the HTTP client the tests give the AWS SDK for Go v2
// when it talks to mirrorlab's EC2 API server on loopback.
//
// With the SDK's own client, about one call in a few hundred fails with
// "deserialization failed, failed to decode response body, read tcp …: use
// of closed network connection" although the server answered 200 with a
// whole body: on loopback the answer arrives before net/http's writer has
// finished with the SDK's request body stream, and when that stream errors
// under it the transport closes the connection the SDK is still reading.
// (The same message is reported against real AWS, e.g.
// aws/aws-sdk-go-v2#1825 and #2935.) Client reads the request body into
// memory before sending it, which takes the race away; nothing about the
// server's answers changes.
package sdkhttp
