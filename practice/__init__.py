"""Rasa-free domain code: safety (crisis and risk), medications, knowledge, booking rules.

Imports nothing from the Rasa extensions, the action server or the console."""
