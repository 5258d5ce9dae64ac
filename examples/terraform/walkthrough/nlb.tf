# The variant with the collectors behind a Network Load Balancer
# (var.collectors_behind_nlb = true): a second adapter, both registered in
# a UDP 4789 target group health-checked on the agents' TCP 8080, and the
# mirror target is the balancer instead of the adapter's ENI. Each mirrored
# flow goes whole to one of them; both replay to the test server.

locals {
  nlb_count = var.collectors_behind_nlb ? 1 : 0
}

resource "aws_instance" "adapter2" {
  count                  = local.nlb_count
  ami                    = data.aws_ami.al2023.id
  instance_type          = var.instance_type
  subnet_id              = aws_subnet.adapter.id
  private_ip             = "10.0.0.21"
  vpc_security_group_ids = [aws_security_group.adapter.id]
  user_data              = local.agent
  tags                   = { Name = "adapter2" }
  depends_on             = [aws_network_acl.adapter]
}

resource "aws_lb" "collectors" {
  count              = local.nlb_count
  name               = "${var.name}-collectors"
  internal           = true
  load_balancer_type = "network"
  # a fixed address, so that it cannot take one the adapters are given
  subnet_mapping {
    subnet_id            = aws_subnet.adapter.id
    private_ipv4_address = "10.0.0.24"
  }
  tags = { Name = "collectors-nlb" }
}

resource "aws_lb_target_group" "vxlan" {
  count       = local.nlb_count
  name        = "${var.name}-vxlan"
  port        = 4789
  protocol    = "UDP"
  target_type = "instance"
  vpc_id      = aws_vpc.vpc.id
  health_check {
    protocol = "TCP"
    port     = "8080"
  }
}

resource "aws_lb_listener" "vxlan" {
  count             = local.nlb_count
  load_balancer_arn = aws_lb.collectors[0].arn
  port              = 4789
  protocol          = "UDP"
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.vxlan[0].arn
  }
}

resource "aws_lb_target_group_attachment" "adapter" {
  count            = local.nlb_count
  target_group_arn = aws_lb_target_group.vxlan[0].arn
  target_id        = aws_instance.adapter.id
  port             = 4789
}

resource "aws_lb_target_group_attachment" "adapter2" {
  count            = local.nlb_count
  target_group_arn = aws_lb_target_group.vxlan[0].arn
  target_id        = aws_instance.adapter2[0].id
  port             = 4789
}
