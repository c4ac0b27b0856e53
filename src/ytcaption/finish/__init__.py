"""How a job ends and is announced: RecordFailure, Notify (event bus and signed webhooks)."""
