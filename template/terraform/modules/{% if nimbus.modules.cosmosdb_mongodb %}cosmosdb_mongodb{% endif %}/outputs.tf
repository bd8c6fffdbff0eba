output "id" {
  description = "Resource id of the Cosmos DB account."
  value       = azurerm_cosmosdb_account.this.id
}

output "connection_string" {
  description = "Primary MongoDB connection string (mongodb://, TLS on port 10255, contains the account key); the database is not part of it, see database_name."
  value       = azurerm_cosmosdb_account.this.primary_mongodb_connection_string
  sensitive   = true
}

output "database_name" {
  description = "Name of the app's MongoDB database."
  value       = azurerm_cosmosdb_mongo_database.app.name
}

output "app_settings" {
  description = "The object modules/app_settings takes as input `mongodb`; only its connection_string is a secret."
  value = {
    connection_string = azurerm_cosmosdb_account.this.primary_mongodb_connection_string
    database_name     = azurerm_cosmosdb_mongo_database.app.name
  }
  sensitive = true
}
