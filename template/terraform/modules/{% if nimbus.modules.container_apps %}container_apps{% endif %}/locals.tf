locals {
  workload_profile_name = "Consumption"
}
