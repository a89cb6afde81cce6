"""Tenants: the catalog, provisioning, per-province applications, API keys and roles."""
