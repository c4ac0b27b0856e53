"""`python -m ytcaption.worker`: run a Whisper worker."""

from ytcaption.worker.loop import main

main()
