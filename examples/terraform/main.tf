# Mirror one ENI of a mirrorlab lab to another, with the four Traffic
# Mirroring resources of the AWS provider, against `mirrorlab serve`.
# The same module, with the provider block pointed at AWS, mirrors real ENIs.

terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

# Every service the provider might call goes to the mirrorlab server: no
# request leaves the machine (no STS, no IAM, no instance metadata service).
provider "aws" {
  region     = var.region
  access_key = "mirrorlab" # dummy: the server accepts SigV4 and does not verify it
  secret_key = "mirrorlab"

  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  max_retries                 = 1

  endpoints {
    ec2   = var.endpoint
    elbv2 = var.endpoint
    sts   = var.endpoint
  }
}

# The lab's ENIs carry a Name tag with their scenario name.
data "aws_network_interface" "source" {
  filter {
    name   = "tag:Name"
    values = [var.source_eni_name]
  }
}

data "aws_network_interface" "target" {
  filter {
    name   = "tag:Name"
    values = [var.target_eni_name]
  }
}

resource "aws_ec2_traffic_mirror_filter" "http" {
  description = "HTTP requests from the source and their answers"
  tags = {
    Name = "${var.name}-filter"
  }
}

resource "aws_ec2_traffic_mirror_filter_rule" "requests" {
  description              = "requests to port 80"
  traffic_mirror_filter_id = aws_ec2_traffic_mirror_filter.http.id
  traffic_direction        = "egress"
  rule_number              = 100
  rule_action              = "accept"
  protocol                 = 6
  source_cidr_block        = "0.0.0.0/0"
  destination_cidr_block   = "0.0.0.0/0"
  destination_port_range {
    from_port = 80
    to_port   = 80
  }
}

resource "aws_ec2_traffic_mirror_filter_rule" "answers" {
  description              = "answers from port 80"
  traffic_mirror_filter_id = aws_ec2_traffic_mirror_filter.http.id
  traffic_direction        = "ingress"
  rule_number              = 100
  rule_action              = "accept"
  protocol                 = 6
  source_cidr_block        = "0.0.0.0/0"
  destination_cidr_block   = "0.0.0.0/0"
  source_port_range {
    from_port = 80
    to_port   = 80
  }
}

resource "aws_ec2_traffic_mirror_target" "target" {
  description          = "the ENI that receives the copies"
  network_interface_id = data.aws_network_interface.target.id
  tags = {
    Name = "${var.name}-target"
  }
}

resource "aws_ec2_traffic_mirror_session" "session" {
  description              = "mirror ${var.source_eni_name} to ${var.target_eni_name}"
  network_interface_id     = data.aws_network_interface.source.id
  traffic_mirror_filter_id = aws_ec2_traffic_mirror_filter.http.id
  traffic_mirror_target_id = aws_ec2_traffic_mirror_target.target.id
  session_number           = var.session_number
  virtual_network_id       = var.virtual_network_id
  tags = {
    Name = "${var.name}-session"
  }

  # the session must not exist without its rules
  depends_on = [
    aws_ec2_traffic_mirror_filter_rule.requests,
    aws_ec2_traffic_mirror_filter_rule.answers,
  ]
}
