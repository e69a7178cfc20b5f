"""Rasa-side storage: the conversation (tracker) store the Rasa server uses."""
