"""Knowledge and clinic files: one loader, content review, production placeholders."""
