// Package terraform holds the test of the Terraform example in this
// directory (main.tf): make test-terraform runs it against mirrorlab serve,
// with the AWS provider and OpenTofu (or Terraform) built into a cache.
package terraform
