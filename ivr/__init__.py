"""Twilio voice webhooks and the TwiML call flows."""
