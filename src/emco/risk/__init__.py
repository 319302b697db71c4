"""Dangerousness assessment: signals, consolidated levels, under-assessment alerts.

See docs/risk.md.
"""
