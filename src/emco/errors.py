"""Domain exceptions. Each carries the HTTP status the web layer answers with, so
routes never catch; the CLI prints the message and exits with `exit_code`."""


class EmcoError(Exception):
    """Base of every error a user may see. The message names what is wrong and where."""

    status_code = 500
    exit_code = 1

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def to_dict(self) -> dict[str, str | None]:
        return {"error": type(self).__name__, "message": self.message, "field": self.field}


class BadInput(EmcoError):
    """The input cannot be used: a malformed file, an unknown code, a wrong value."""

    status_code = 400
    exit_code = 2


class NotFound(EmcoError):
    """Nothing the principal may see answers to that reference.

    Used as well when the object exists but is out of the principal's sight, so that
    the answer never tells the two apart."""

    status_code = 404
    exit_code = 2


class Forbidden(EmcoError):
    """The principal lacks the permission for the action itself."""

    status_code = 403
    exit_code = 2


class Unauthenticated(EmcoError):
    status_code = 401
    exit_code = 2


class TooManyRequests(EmcoError):
    """Too many attempts in too short a time (logins, hit/no-hit queries)."""

    status_code = 429
    exit_code = 2

    def __init__(self, message: str, *, retry_after: int, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after


class UpstreamError(EmcoError):
    """A service EMCO relies on (an identity provider) did not answer, or answered
    something unusable: not the user's fault, and not EMCO's."""

    status_code = 502
    exit_code = 1


class Conflict(EmcoError):
    status_code = 409
    exit_code = 2


class IntegrityError(EmcoError):
    """Stored data fails a consistency check (for instance the audit chain)."""

    status_code = 500
    exit_code = 1
