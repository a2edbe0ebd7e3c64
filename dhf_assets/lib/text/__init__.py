"""Text for people: safe names and markdown tables."""
