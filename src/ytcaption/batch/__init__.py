"""Batches: a playlist, channel or podcast feed listed into entries, one ordinary job per entry,
and the batch's end told once every entry's job has ended."""
