"""The rules engine: pure Python (no Flask, no SQLAlchemy, nothing else of app/ but core.money).

Every function takes a plan's `Terms` as an argument; no figure of a plan is in code.
"""
