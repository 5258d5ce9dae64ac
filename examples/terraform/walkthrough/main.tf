# The reference walk-through built from nothing, against
# `mirrorlab serve --empty`: a VPC with public, adapter and test subnets, the
# production and test web servers and the adapter as instances whose user
# data start the servers and the decap agent, and the mirror filter, rules,
# target and session that send production's HTTP to the adapter, which
# replays it to the test server. nlb.tf is the variant with the collectors
# behind a Network Load Balancer (var.collectors_behind_nlb).

terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

# Every service the provider calls goes to the mirrorlab server.
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

locals {
  web_ip     = "10.0.0.5"
  client_ip  = "10.0.0.6"
  adapter_ip = "10.0.0.20"
  test_ip    = "10.0.0.36"

  # python's web server logs every request line on its standard error:
  # the instance's console output (aws ec2 get-console-output)
  web_server = <<-EOT
    #!/bin/sh
    mkdir -p www && echo "${var.name}" > www/index.html
    exec ${var.web_server_command}
  EOT
  agent      = <<-EOT
    #!/bin/sh
    exec ${var.mirrorlab} agent -destination http://${local.test_ip} -filter-request-port 80 -health-port 8080
  EOT
}

data "aws_ami" "al2023" {
  most_recent = true
  owners      = ["amazon"]
  filter {
    name   = "name"
    values = ["al2023-ami-2023.*-x86_64"]
  }
}

resource "aws_vpc" "vpc" {
  cidr_block = "10.0.0.0/24"
  tags       = { Name = "${var.name}-vpc" }
}

resource "aws_subnet" "public" {
  vpc_id            = aws_vpc.vpc.id
  cidr_block        = "10.0.0.0/28"
  availability_zone = "${var.region}a"
  tags              = { Name = "public" }
}

resource "aws_subnet" "adapter" {
  vpc_id            = aws_vpc.vpc.id
  cidr_block        = "10.0.0.16/28"
  availability_zone = "${var.region}a"
  tags              = { Name = "adapter" }
}

resource "aws_subnet" "test" {
  vpc_id            = aws_vpc.vpc.id
  cidr_block        = "10.0.0.32/28"
  availability_zone = "${var.region}a"
  tags              = { Name = "test" }
}

resource "aws_security_group" "web" {
  name        = "web-sg"
  description = "production web server"
  vpc_id      = aws_vpc.vpc.id
  ingress {
    protocol    = "tcp"
    from_port   = 80
    to_port     = 80
    cidr_blocks = ["0.0.0.0/0"]
  }
  egress {
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    cidr_blocks = ["0.0.0.0/0"]
  }
  tags = { Name = "web-sg" }
}

resource "aws_security_group" "adapter" {
  name        = "adapter-sg"
  description = "mirror target: VXLAN from the mirror source, health checks from the adapter subnet"
  vpc_id      = aws_vpc.vpc.id
  ingress {
    protocol    = "udp"
    from_port   = 4789
    to_port     = 4789
    cidr_blocks = [aws_subnet.public.cidr_block]
  }
  ingress {
    protocol    = "tcp"
    from_port   = 8080
    to_port     = 8080
    cidr_blocks = [aws_subnet.adapter.cidr_block]
  }
  egress {
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    cidr_blocks = ["0.0.0.0/0"]
  }
  tags = { Name = "adapter-sg" }
}

resource "aws_security_group" "test" {
  name        = "test-sg"
  description = "test web server, reachable from the adapter"
  vpc_id      = aws_vpc.vpc.id
  ingress {
    protocol    = "tcp"
    from_port   = 80
    to_port     = 80
    cidr_blocks = [aws_subnet.adapter.cidr_block]
  }
  egress {
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    cidr_blocks = ["0.0.0.0/0"]
  }
  tags = { Name = "test-sg" }
}

# The adapter subnet admits the mirrored VXLAN from the public subnet, the
# load balancer's health checks, and the test server's answers.
resource "aws_network_acl" "adapter" {
  vpc_id     = aws_vpc.vpc.id
  subnet_ids = [aws_subnet.adapter.id]
  ingress {
    rule_no    = 100
    protocol   = "udp"
    action     = "allow"
    cidr_block = aws_subnet.public.cidr_block
    from_port  = 4789
    to_port    = 4789
  }
  ingress {
    rule_no    = 110
    protocol   = "tcp"
    action     = "allow"
    cidr_block = aws_subnet.test.cidr_block
    from_port  = 1024
    to_port    = 65535
  }
  ingress {
    rule_no    = 120
    protocol   = "tcp"
    action     = "allow"
    cidr_block = aws_subnet.adapter.cidr_block
    from_port  = 8080
    to_port    = 8080
  }
  egress {
    rule_no    = 100
    protocol   = "tcp"
    action     = "allow"
    cidr_block = aws_subnet.test.cidr_block
    from_port  = 80
    to_port    = 80
  }
  egress {
    rule_no    = 110
    protocol   = "tcp"
    action     = "allow"
    cidr_block = aws_subnet.adapter.cidr_block
    from_port  = 1024
    to_port    = 65535
  }
  tags = { Name = "adapter-acl" }
}

resource "aws_instance" "web" {
  ami                    = data.aws_ami.al2023.id
  instance_type          = var.instance_type
  subnet_id              = aws_subnet.public.id
  private_ip             = local.web_ip
  vpc_security_group_ids = [aws_security_group.web.id]
  user_data              = local.web_server
  tags                   = { Name = "web" }
}

resource "aws_instance" "test" {
  ami                    = data.aws_ami.al2023.id
  instance_type          = var.instance_type
  subnet_id              = aws_subnet.test.id
  private_ip             = local.test_ip
  vpc_security_group_ids = [aws_security_group.test.id]
  user_data              = local.web_server
  tags                   = { Name = "test" }
}

resource "aws_instance" "adapter" {
  ami                    = data.aws_ami.al2023.id
  instance_type          = var.instance_type
  subnet_id              = aws_subnet.adapter.id
  private_ip             = local.adapter_ip
  vpc_security_group_ids = [aws_security_group.adapter.id]
  user_data              = local.agent
  tags                   = { Name = "adapter" }
  # the agent needs the ACL that admits the copies, not only the group
  depends_on = [aws_network_acl.adapter]
}

resource "aws_instance" "client" {
  ami           = data.aws_ami.al2023.id
  instance_type = var.instance_type
  subnet_id     = aws_subnet.public.id
  private_ip    = local.client_ip
  tags          = { Name = "client" }
}

resource "aws_ec2_traffic_mirror_filter" "web_in" {
  description = "inbound HTTP to the production server, and its answers"
  tags        = { Name = "web-in" }
}

resource "aws_ec2_traffic_mirror_filter_rule" "requests" {
  description              = "requests to port 80"
  traffic_mirror_filter_id = aws_ec2_traffic_mirror_filter.web_in.id
  traffic_direction        = "ingress"
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
  description              = "production's answers, from port 80"
  traffic_mirror_filter_id = aws_ec2_traffic_mirror_filter.web_in.id
  traffic_direction        = "egress"
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

# The adapter's ENI, or (nlb.tf) the load balancer in front of the collectors.
resource "aws_ec2_traffic_mirror_target" "adapter" {
  description               = var.collectors_behind_nlb ? "the collectors' NLB" : "the adapter's ENI"
  network_interface_id      = var.collectors_behind_nlb ? null : aws_instance.adapter.primary_network_interface_id
  network_load_balancer_arn = var.collectors_behind_nlb ? aws_lb.collectors[0].arn : null
  tags                      = { Name = "adapter-target" }
  # the listener must be there before copies are sent to the balancer
  depends_on = [aws_lb_listener.vxlan]
}

resource "aws_ec2_traffic_mirror_session" "web" {
  description              = "production's HTTP to the adapter"
  network_interface_id     = aws_instance.web.primary_network_interface_id
  traffic_mirror_filter_id = aws_ec2_traffic_mirror_filter.web_in.id
  traffic_mirror_target_id = aws_ec2_traffic_mirror_target.adapter.id
  session_number           = 1
  virtual_network_id       = var.virtual_network_id
  tags                     = { Name = "web-session" }
  depends_on = [
    aws_ec2_traffic_mirror_filter_rule.requests,
    aws_ec2_traffic_mirror_filter_rule.answers,
  ]
}
