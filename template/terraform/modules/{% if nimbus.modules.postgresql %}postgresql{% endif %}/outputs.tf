output "id" {
  description = "Resource id of the PostgreSQL flexible server."
  value       = azurerm_postgresql_flexible_server.this.id
}

output "app_settings" {
  description = "How the app reaches its database, the object modules/app_settings takes as input `database`: engine (\"postgresql\"), host (fully qualified; resolves to the private endpoint inside the virtual network in private mode), port (5432), database_name (the app's database), username (the administrator login), password (generated; the only secret: it stays sensitive for the caller), jdbc_url (TLS required: sslmode=require; credentials are passed separately)."
  value = {
    engine        = "postgresql"
    host          = azurerm_postgresql_flexible_server.this.fqdn
    port          = 5432
    database_name = azurerm_postgresql_flexible_server_database.app.name
    username      = azurerm_postgresql_flexible_server.this.administrator_login
    password      = random_password.administrator.result
    jdbc_url      = "jdbc:postgresql://${azurerm_postgresql_flexible_server.this.fqdn}:5432/${azurerm_postgresql_flexible_server_database.app.name}?sslmode=require"
  }
  sensitive = true
}
