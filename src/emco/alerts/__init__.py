"""Alerts: raised by the stages, acknowledged by each recipient, resolved with an outcome,
escalated when late, delivered in the interface, the API and by signed webhook.
The public surface is `emco.alerts.service`."""
