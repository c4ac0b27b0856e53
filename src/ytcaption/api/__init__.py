"""The public HTTP API.

schemas (request/response models), service (the use cases, over the stores),
presenters (a Job as clients see it), cursors (paging), deps (what routes depend
on), routes/ (one APIRouter per resource) and app (the FastAPI app). Only deps,
routes and app import FastAPI.
"""
