"""Outage notices: who gets one (policy), composing it once per notice and per recipient,
fanning it out, and delivering it by email and SMS with retries, fallback and sweeping."""
