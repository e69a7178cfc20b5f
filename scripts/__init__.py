"""Command-line scripts of the project (install, run, validate, report)."""
