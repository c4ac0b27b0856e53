"""The fast lane: a job, or one chunk of a long one, transcribed inside a Lambda (CPU faster-whisper,
the small models in its image) instead of on a GPU worker, when the fleet is cold or the audio is short.

The same runners as the GPU worker (ytcaption.worker.whole, ytcaption.worker.chunked) do the work, so
progress, cancellation, time limits, results and failure codes are the same on both lanes; what differs
is how the task arrives (a synchronous Lambda invocation instead of an SQS message) and how it is
answered (the function's return or its error, instead of SendTaskSuccess/SendTaskFailure).
"""
