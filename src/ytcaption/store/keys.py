"""Every key of the one DynamoDB table, defined once.

Items by kind (pk / sk):
  job               JOB#<job_id>        / JOB
  its history       JOB#<job_id>        / EVENT#<rank>#<STATUS>[#r<n>][#WEBHOOK#…|#PUBLISHED|#PROGRESS|#REDRIVE|#EMAIL]
  its claims        JOB#<job_id>        / CLAIM#<at>#<worker_id>  (each time a worker took it, or one chunk of it)
  its chunks        JOB#<job_id>        / CHUNK#<nnnn>  (long audio: each chunk's lease, progress and result)
  its event log     JOB#<job_id>        / EVENTLOG#<event_id>  (every envelope published for it: live replays)
  its event counter JOB#<job_id>        / EVENTSEQ  (the last `sequence` given to one of its events)
  upload record     UPLOAD#<upload_id>  / UPLOAD
  audio link        AUDIOLINK#<token>   / AUDIOLINK  (a ticket for a job's audio, redeemed for a fresh presigned GET)
  its claim         UPLOAD#<upload_id>  / CLAIM  (the one file, by ETag, that became the ticket's job)
  later files       UPLOAD#<upload_id>  / REFUSED#<etag>  (posted under a used ticket: recorded, no job)
  tenant settings   TENANT#<tenant>     / TENANT
  result cache      CACHE#<tenant>#<h>  / CACHE
  API key           APIKEY#<hash>       / APIKEY
  circuit breaker   BREAKER#<site>      / BREAKER
A job is also indexed by tenant (by-tenant index): gsi1pk TENANT#<tenant>, gsi1sk <created_at>#<job_id>.
The state machine's DynamoDB tasks write the same keys (a unit test compares them).

The connections table (live updates over WebSocket), pk / sk:
  connection        CONN#<connection_id> / CONN          (its tenant and the topics it listens to)
  what it was sent  CONN#<connection_id> / SENT#<job_id> (event ids: never the same event twice)
  subscription      SUB#<topic>          / <connection_id>  (topic: JOB#<job_id> or TENANT#<tenant>)
"""

from __future__ import annotations

from ytcaption.domain.job import JobStatus

Key = dict[str, str]

JOB_SK = "JOB"
EVENT_PREFIX = "EVENT#"
CLAIM_PREFIX = "CLAIM#"
CHUNK_PREFIX = "CHUNK#"
EVENTLOG_PREFIX = "EVENTLOG#"


def job_pk(job_id: str) -> str:
    return f"JOB#{job_id}"


def job(job_id: str) -> Key:
    return {"pk": job_pk(job_id), "sk": JOB_SK}


def event_sk(status: JobStatus, attempt: int = 0) -> str:
    """History item key; a redriven job's later attempts get their own items (#r1, #r2...)."""
    return f"{EVENT_PREFIX}{status.rank:02d}#{status.value}" + (f"#r{attempt}" if attempt else "")


def claim_sk(at: str, worker_id: str) -> str:
    return f"{CLAIM_PREFIX}{at}#{worker_id}"


def email_sk(status: JobStatus, attempt: int = 0) -> str:
    """The one email item of a job's end (kept in its history after the status it reports); a redriven
    job's later ends (`attempt`: its redrives) have their own."""
    return f"{event_sk(status, attempt)}#EMAIL"


def webhook_mark_sk() -> str:
    """The `sequence` of the newest event sent to a job's webhook (its high-water mark)."""
    return f"{event_sk(JobStatus.TRANSCRIBING)}#WEBHOOKMARK"


def chunk(job_id: str, index: int) -> Key:
    return {"pk": job_pk(job_id), "sk": f"{CHUNK_PREFIX}{index:04d}"}


def tenant_pk(tenant: str) -> str:
    return f"TENANT#{tenant}"


def tenant_index_sk(created_at: str, job_id: str) -> str:
    return f"{created_at}#{job_id}"


def tenant(tenant_name: str) -> Key:
    return {"pk": tenant_pk(tenant_name), "sk": "TENANT"}


def upload(upload_id: str) -> Key:
    return {"pk": f"UPLOAD#{upload_id}", "sk": "UPLOAD"}


def upload_claim(upload_id: str) -> Key:
    return {"pk": f"UPLOAD#{upload_id}", "sk": "CLAIM"}


def upload_refused(upload_id: str, etag: str) -> Key:
    bare = etag.strip('"')
    return {"pk": f"UPLOAD#{upload_id}", "sk": f"REFUSED#{bare}"}


def cache(tenant_name: str, digest: str) -> Key:
    return {"pk": f"CACHE#{tenant_name}#{digest}", "sk": "CACHE"}


def apikey(digest: str) -> Key:
    return {"pk": f"APIKEY#{digest}", "sk": "APIKEY"}


def breaker(site: str) -> Key:
    return {"pk": f"BREAKER#{site}", "sk": "BREAKER"}


def eventlog(job_id: str, event_id: str) -> Key:
    return {"pk": job_pk(job_id), "sk": f"{EVENTLOG_PREFIX}{event_id}"}


def audio_link(token: str) -> Key:
    return {"pk": f"AUDIOLINK#{token}", "sk": "AUDIOLINK"}


def event_sequence(job_id: str) -> Key:
    return {"pk": job_pk(job_id), "sk": "EVENTSEQ"}


# -- the connections table ---------------------------------------------------------

CONNECTION_PREFIX = "CONN#"


def connection(connection_id: str) -> Key:
    return {"pk": f"{CONNECTION_PREFIX}{connection_id}", "sk": "CONN"}


def connection_sent(connection_id: str, job_id: str) -> Key:
    return {"pk": f"{CONNECTION_PREFIX}{connection_id}", "sk": f"SENT#{job_id}"}


def job_topic(job_id: str) -> str:
    return f"JOB#{job_id}"


def tenant_topic(tenant_name: str) -> str:
    return f"TENANT#{tenant_name}"


def subscription_pk(topic: str) -> str:
    return f"SUB#{topic}"


def subscription(topic: str, connection_id: str) -> Key:
    return {"pk": subscription_pk(topic), "sk": connection_id}
