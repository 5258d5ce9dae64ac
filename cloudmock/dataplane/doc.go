// Package dataplane runs the mock mirror service on an emulated VPC: it
// captures at the fabric end of every source ENI, asks the cloudmock model
// what to do with each packet, and sends the VXLAN datagrams the model
// prescribes from the fabric namespace.
package dataplane
