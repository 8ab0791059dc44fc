"""Rasa extensions, by kind: NLU components, policies, channels, stores, runtime.

They use `practice`; they never import the action server or the console."""
