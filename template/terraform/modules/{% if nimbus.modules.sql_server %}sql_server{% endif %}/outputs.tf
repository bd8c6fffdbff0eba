output "id" {
  description = "Resource id of the logical SQL server."
  value       = azurerm_mssql_server.this.id
}

output "database_id" {
  description = "Resource id of the app's database."
  value       = azurerm_mssql_database.app.id
}

output "host" {
  description = "Fully qualified host name of the server (resolves to the private endpoint inside the virtual network in private mode)."
  value       = azurerm_mssql_server.this.fully_qualified_domain_name
}

output "port" {
  description = "TCP port of the server."
  value       = 1433
}

output "database_name" {
  description = "Name of the app's database."
  value       = azurerm_mssql_database.app.name
}

output "username" {
  description = "SQL login the app connects with."
  value       = azurerm_mssql_server.this.administrator_login
}

output "password" {
  description = "Password of username."
  value       = random_password.administrator.result
  sensitive   = true
}

output "jdbc_url" {
  description = "JDBC URL (Microsoft JDBC driver) of the app's database, encrypted with server certificate validation; credentials are passed separately."
  value       = local.jdbc_url
}

output "app_settings" {
  description = "The object modules/app_settings takes as input `database` (engine is this module's name); only its password is a secret."
  value = {
    engine        = "sql_server"
    host          = azurerm_mssql_server.this.fully_qualified_domain_name
    port          = 1433
    database_name = azurerm_mssql_database.app.name
    username      = azurerm_mssql_server.this.administrator_login
    password      = random_password.administrator.result
    jdbc_url      = local.jdbc_url
  }
  sensitive = true
}
