"""The public HTTP API: schemas (models), the use cases (service) and the FastAPI app (app).

Only `app` imports FastAPI; `models` and `service` need nothing beyond the core.
"""
