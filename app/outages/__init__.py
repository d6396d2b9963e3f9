"""Outages: their lifecycle and scope, who they cover, the detector, Alertmanager, reminders,
and the notices that tell affected subscribers (app.outages.notices)."""
