package ec2api

import "github.com/mirrorlab/mirrorlab/cloudmock"

// AWS Security Token Service on the same endpoint (selected by Version):
// GetCallerIdentity, which the Terraform AWS provider and its test
// harness call first. Any credentials are the account's root.
const (
	stsVersion   = "2011-06-15"
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
)

type callerIdentityResult struct {
	UserId  string `xml:"UserId"`
	Account string `xml:"Account"`
	Arn     string `xml:"Arn"`
}

func (s *Server) getCallerIdentity(c *call) (any, error) {
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.read(func(*cloudmock.Spec, tagStore) (any, error) {
		return callerIdentityResult{UserId: s.cfg.AccountID, Account: s.cfg.AccountID, Arn: "arn:aws:iam::" + s.cfg.AccountID + ":root"}, nil
	})
}
