variable "endpoint" {
  description = "The mirrorlab server (mirrorlab serve --empty prints it)."
  type        = string
  default     = "http://127.0.0.1:4566"
}

variable "region" {
  description = "The server's region (serve --empty is a new account in us-east-1)."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Prefix of the VPC's and the load balancer's names."
  type        = string
  default     = "walkthrough"
}

variable "instance_type" {
  description = "Type of every instance: Nitro-based, since AWS mirrors from no T2 or other Xen instance."
  type        = string
  default     = "m5.large"
}

variable "mirrorlab" {
  description = "The mirrorlab command as the adapter's user data runs it (its agent replays the mirrored requests)."
  type        = string
  default     = "mirrorlab"
}

variable "web_server_command" {
  description = "The production and test web servers, run from the user data's directory (www/ holds index.html)."
  type        = string
  default     = "python3 -u -m http.server 80 --directory www"
}

variable "virtual_network_id" {
  description = "The VXLAN network identifier of the copies."
  type        = number
  default     = 1
}

variable "collectors_behind_nlb" {
  description = "Mirror to a Network Load Balancer in front of two adapters (nlb.tf) instead of the adapter's ENI."
  type        = bool
  default     = false
}
