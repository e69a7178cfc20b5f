"""Project-side Rasa input channels."""
