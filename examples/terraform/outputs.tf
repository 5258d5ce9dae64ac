output "source_eni_id" {
  value = data.aws_network_interface.source.id
}

output "source_private_ip" {
  value = data.aws_network_interface.source.private_ip
}

output "target_eni_id" {
  value = data.aws_network_interface.target.id
}

output "filter_id" {
  value = aws_ec2_traffic_mirror_filter.http.id
}

output "target_id" {
  value = aws_ec2_traffic_mirror_target.target.id
}

output "session_id" {
  value = aws_ec2_traffic_mirror_session.session.id
}

output "virtual_network_id" {
  value = aws_ec2_traffic_mirror_session.session.virtual_network_id
}
