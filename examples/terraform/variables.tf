variable "endpoint" {
  description = "The mirrorlab server (mirrorlab serve prints it)."
  type        = string
  default     = "http://127.0.0.1:4566"
}

variable "region" {
  description = "Any region name: the server serves one account in one region."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Prefix of the Name tags of the resources made here."
  type        = string
  default     = "tf"
}

variable "source_eni_name" {
  description = "Name tag of the ENI to mirror (in the reference walk-through: the client)."
  type        = string
  default     = "client-eni"
}

variable "target_eni_name" {
  description = "Name tag of the ENI that receives the copies (the adapter, whose security group and network ACL admit UDP 4789 from the public subnet)."
  type        = string
  default     = "adapter-eni"
}

variable "session_number" {
  description = "Priority among the source ENI's sessions (1 is first)."
  type        = number
  default     = 1
}

variable "virtual_network_id" {
  description = "The VXLAN network identifier that the copies carry."
  type        = number
  default     = 4242
}
