"""Fixture strategy: the API tests use the web fixtures (an app over the `db` fixture, on
both backends, a logged-out client, the `world` of two services' records, and the
`resolved` records of two services resolved into entities); see tests/web/conftest.py."""

from tests.web.conftest import app, cheap_passwords, client, resolved, world

__all__ = ["app", "cheap_passwords", "client", "resolved", "world"]
