"""Job state in DynamoDB: one table, one partition per job (store.keys lays out its items).

The job store is one object made of one part per concept, each in its own module over the same
table (store.items): the lifecycle and history (store.lifecycle), claims, leases and chunks
(store.claims), webhook, email and publication records (store.deliveries), upload records
(store.uploads), and a tenant's jobs and usage (store.usage).
"""

from __future__ import annotations

from ytcaption.store.claims import Claims
from ytcaption.store.deliveries import Deliveries
from ytcaption.store.items import from_dynamo, to_dynamo
from ytcaption.store.lifecycle import Lifecycle
from ytcaption.store.uploads import Uploads
from ytcaption.store.usage import TENANT_INDEX_KEY, TenantJobs, TenantUsage

__all__ = ["TENANT_INDEX_KEY", "JobStore", "TenantUsage", "from_dynamo", "to_dynamo"]


class JobStore(Lifecycle, Claims, Deliveries, Uploads, TenantJobs):
    """Every read and write of a job and what belongs to it."""
