"""The in-process policy guard: policy, decisions, limits, paths and audit.

Nothing in this package imports MCP or Odoo code: the guard decides on plain
Python values, so each part can be tested alone and reused behind any transport.
"""
