"""Subscribers: their records and rules (numbers, plans, regions, greetings) and CSV import/export."""
