locals {
  # One switch drives the network mode: a private endpoint means no public endpoint at all.
  public_access = var.private_endpoint == null

  # The app's database by JDBC (outputs jdbc_url and app_settings).
  jdbc_url = "jdbc:postgresql://${azurerm_postgresql_flexible_server.this.fqdn}:5432/${azurerm_postgresql_flexible_server_database.app.name}?sslmode=require"
}
