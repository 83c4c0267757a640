"""The suite's web app: the tenant portal (and, later, the storefront), rendered on the server."""
