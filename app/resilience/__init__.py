"""What keeps calls answered while a dependency is down: the subscriber snapshot, the pending
store of work that could not be written or queued, and the gate that rate-limits alerts."""
