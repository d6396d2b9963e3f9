"""Twilio at the edge: request signatures, form fields, the REST client, fallback requests,
and the simulator that plays Twilio's part on a laptop."""
