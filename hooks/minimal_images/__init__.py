"""The validation and generation library shared by every template's hooks.

Each template's hooks/*.py is a thin entry point: cookiecutter renders it with the answers as JSON, runs it,
and it calls into this package. The rules themselves are data, in rules.py.
"""
