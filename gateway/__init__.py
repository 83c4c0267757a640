"""The suite's API gateway: one entry point in front of every service (GW-1)."""
