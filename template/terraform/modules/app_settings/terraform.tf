terraform {
  # No provider: this module only computes values (it creates no Azure resource).
  required_version = ">= 1.9, < 2.0"
}
