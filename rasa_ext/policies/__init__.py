"""Policies named in config.yml."""
