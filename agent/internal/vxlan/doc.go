// Package vxlan decodes and encodes the 8-byte VXLAN header of RFC 7348.
//
// Decoding follows the RFC receiver rules: the I flag (0x08 in the first
// byte) must be set, every reserved bit is ignored. Decode never allocates.
package vxlan
