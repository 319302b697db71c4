"""The background worker of the web server: every few seconds, send the webhook deliveries
that are due and escalate overdue alerts.

It runs in a daemon thread of its own, with its own database connections, so request
handling never waits on it; `stop` ends it between two deliveries (at worst after one
endpoint's timeout).
"""

import logging
import threading

from emco.alerts.delivery import deliver_pending, webhook_client
from emco.alerts.escalation import escalate_overdue
from emco.store.db import Database

log = logging.getLogger("emco.alerts")


class AlertWorker:
    """Runs `run_once` every `interval` seconds in a thread, from `start` until `stop`."""

    def __init__(self, db: Database, interval: float, timeout: float = 5.0) -> None:
        self.db = db
        self.interval = interval
        self.timeout = timeout  # of each webhook delivery
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="emco-alerts", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        """Ask the worker to end and wait for it (at most `timeout` seconds)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("the alerts worker did not stop within %s s", timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run_once(self) -> None:
        """One pass: deliveries, then escalations. A failure is logged, never raised: the
        next pass tries again."""
        try:
            with webhook_client(self.timeout) as client:
                report = deliver_pending(self.db, client=client, stop=self._stop)
            if report.sent or report.retrying or report.failed:
                log.info("webhooks: %s", report.to_dict())
        except Exception:
            log.exception("webhook deliveries failed")
        if self._stop.is_set():
            return
        try:
            escalated = escalate_overdue(self.db)
            if escalated:
                log.info("alerts escalated: %s", len(escalated))
        except Exception:
            log.exception("escalation of overdue alerts failed")

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.run_once()
