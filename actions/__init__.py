"""Custom actions of the med-spa FAQ assistant (served by the rasa-sdk action server).

Modules, one concern each:

- ``contract``: the fixed ids and the ``answer`` metadata of ../shared/contract.md.
- ``settings``: every setting read from the environment, in one place.
- ``knowledge_base``: loading and validating ``knowledge/treatments.yml``.
- ``text_matching``: finding treatments, concerns and areas in free text.
- ``safety``: spotting a visitor who reports a problem after a treatment.
- ``planning``: deciding what kind of reply a visitor's turn gets.
- ``answers``: composing the reply messages from the knowledge base.
- ``actions``: the thin rasa-sdk ``Action`` classes.
"""
