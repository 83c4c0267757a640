"""Business rules of the cloud reseller marketplace: pure Python, no framework or database."""
