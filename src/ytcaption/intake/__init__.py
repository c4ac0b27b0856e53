"""Where a job is checked and started: URL policy, uploads, the one launch path."""
