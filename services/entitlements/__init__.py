"""The entitlements service."""
