"""The bottom layer: settings, connections (database, Redis, jobs), logging, phone numbers,
public URLs, and the interfaces of the mail and storage backends. It imports no other layer."""
