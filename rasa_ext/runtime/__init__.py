"""The Rasa server's entry point and what it installs before Rasa starts."""
