"""Input channels named in credentials.yml, with their rate limit."""
