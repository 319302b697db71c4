"""Demonstration data: sample files of each service, loaded with their manifest."""
