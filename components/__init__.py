"""Custom Rasa parts: NLU components, the spaCy pipeline helpers and the guarded channels."""
