output "id" {
  description = "Resource id of the PostgreSQL flexible server."
  value       = azurerm_postgresql_flexible_server.this.id
}

output "host" {
  description = "Fully qualified host name of the server (resolves to the private endpoint inside the virtual network in private mode)."
  value       = azurerm_postgresql_flexible_server.this.fqdn
}

output "port" {
  description = "TCP port of the server."
  value       = 5432
}

output "database_name" {
  description = "Name of the app's database."
  value       = azurerm_postgresql_flexible_server_database.app.name
}

output "username" {
  description = "Login the app connects with."
  value       = azurerm_postgresql_flexible_server.this.administrator_login
}

output "password" {
  description = "Password of username."
  value       = random_password.administrator.result
  sensitive   = true
}

output "jdbc_url" {
  description = "JDBC URL of the app's database, TLS required (sslmode=require); credentials are passed separately."
  value       = local.jdbc_url
}

output "app_settings" {
  description = "The object modules/app_settings takes as input `database` (engine is this module's name); only its password is a secret."
  value = {
    engine        = "postgresql"
    host          = azurerm_postgresql_flexible_server.this.fqdn
    port          = 5432
    database_name = azurerm_postgresql_flexible_server_database.app.name
    username      = azurerm_postgresql_flexible_server.this.administrator_login
    password      = random_password.administrator.result
    jdbc_url      = local.jdbc_url
  }
  sensitive = true
}
