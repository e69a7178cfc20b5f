"""The staff console: what visitors ask, their conversations, privacy.

A Flask application (``console.app``) over two databases: Rasa's SQL tracker
store, read and erased through SQLAlchemy (``console.store``,
``console.queries``), and the console's own tables (accounts, audit log,
called-back marks, deletions, retention runs). ``make report`` prints the same
queries in a terminal (``scripts/report.py``).
"""
