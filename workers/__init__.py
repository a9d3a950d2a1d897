"""Queue workers: dramatiq actors that run the same stage functions as `pipeline.core.run`.

`submit` queues a batch, `resume` re-sends the messages of its pending items, `retry` puts
failed items back; `workers.broker` (imported only when messages are sent or received) holds the
broker set-up and the actors, `workers.tasks` what each message does.
"""

from workers.submit import resume, retry, submit

__all__ = ["resume", "retry", "submit"]
