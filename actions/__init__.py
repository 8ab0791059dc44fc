"""The action server: answers from the knowledge base, booking, medications."""
