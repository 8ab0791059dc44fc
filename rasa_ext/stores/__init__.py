"""Tracker and lock store classes named in endpoints.yml."""
