locals {
  # One switch drives the network mode: a private endpoint means no public endpoint at all.
  public_access = var.private_endpoint == null
}
