"""Fixture strategy: the API tests use the web fixtures (an app over the `db` fixture, on
both backends, a logged-out client, and the `world` of two services' records); see
tests/web/conftest.py."""

from tests.web.conftest import app, cheap_passwords, client, world

__all__ = ["app", "cheap_passwords", "client", "world"]
