"""EMCO."""
