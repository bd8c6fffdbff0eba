# Resources this module declared itself before nimbus 0.3.0 and now creates through a shared module: Terraform
# moves them in the state instead of destroying and creating them again.

moved {
  from = azurerm_private_endpoint.this[0]
  to   = module.private_endpoint[0].azurerm_private_endpoint.this
}

moved {
  from = azurerm_monitor_diagnostic_setting.audit
  to   = module.diagnostic_setting.azurerm_monitor_diagnostic_setting.this
}
