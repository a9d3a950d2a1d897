"""Queue workers: dramatiq actors that run the same core functions as a local ingest.

`workers.broker` declares the actors on the broker of SOHOA_BROKER_URL and opens the runtime once
per worker process; `workers.tasks` says what each message does. Batches are queued by the core
(`pipeline.core.queued`), which sends messages without importing anything here.
"""
