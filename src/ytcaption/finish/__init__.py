"""How a job ends and is announced: RecordFailure, Notify (event bus, signed webhooks), live updates (WebSocket)."""
