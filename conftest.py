"""Root pytest configuration: the shared test kit's fixtures for every test in the repository."""
pytest_plugins = ["shared.pytest_plugin"]
