"""The assistant's core: what it knows and how it decides, with no Rasa inside.

Modules, one concern each:

- ``contract``: the fixed ids and the ``answer`` metadata of ../shared/contract.md.
- ``settings``: every setting read from the environment, in one place.
- ``knowledge_base``: loading and validating ``knowledge/treatments.yml``.
- ``text_matching``: finding treatments, concerns and areas in free text.
- ``safety``: spotting a visitor who reports a problem after a treatment.
- ``planning``: deciding what kind of reply a visitor's turn gets.
- ``answers``: composing the reply messages from the knowledge base.

``actions/`` (rasa-sdk), ``components/`` (Rasa NLU) and ``channels/`` (Rasa
input channels) are thin adapters around this package; it imports neither
``rasa`` nor ``rasa_sdk`` (``tests/unit/test_architecture.py`` checks it).
"""
