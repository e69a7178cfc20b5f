"""The rasa-sdk adapter: custom actions served by the action server.

``actions`` reads a Rasa ``Tracker`` into a :class:`medspa.planning.Turn`,
asks the core (``medspa``) for the plan and the reply, and utters it with its
``answer`` metadata. ``__main__`` validates the knowledge base, then serves.
"""
