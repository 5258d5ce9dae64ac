output "instance_ids" {
  description = "The instances by role: mirrorlab exec and status name them by these ids."
  value = {
    web     = aws_instance.web.id
    test    = aws_instance.test.id
    adapter = aws_instance.adapter.id
    client  = aws_instance.client.id
  }
}

output "adapter2_id" {
  description = "The second collector (behind the NLB only)."
  value       = one(aws_instance.adapter2[*].id)
}

output "web_private_ip" {
  value = aws_instance.web.private_ip
}

output "session_id" {
  value = aws_ec2_traffic_mirror_session.web.id
}

output "target_id" {
  value = aws_ec2_traffic_mirror_target.adapter.id
}

output "nlb_arn" {
  value = one(aws_lb.collectors[*].arn)
}
