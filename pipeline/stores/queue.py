"""The message queue that hands work to the workers: a dramatiq broker on Redis or RabbitMQ.

This is the sending side only: a message names an actor and its arguments (item ids, never file
paths or personal data). The actors themselves are declared by the workers (`workers.broker`) on a
broker made by the same `make_broker`; retries and time limits are theirs.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.errors import StorageUnavailable

QUEUE = "sohoa"

#: send(actor_name, *args)
Send = Callable[..., None]


def make_broker(url: str):
    """A Redis or RabbitMQ broker for ``redis://…`` or ``amqp://…``."""
    import dramatiq  # only where messages are sent or received
    from dramatiq.middleware import CurrentMessage

    if url.startswith(("redis://", "rediss://", "unix://")):
        from dramatiq.brokers.redis import RedisBroker

        broker: dramatiq.Broker = RedisBroker(url=url)
    elif url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(url=url)
    else:
        raise StorageUnavailable(
            f"unsupported SOHOA_BROKER_URL scheme in {url.split('://')[0]!r}: use redis:// or amqp://"
        )
    broker.add_middleware(CurrentMessage())
    return broker


def open_sender(url: str) -> Send:
    """A function that sends one message to the workers' queue on the broker at ``url``; the
    broker is reached at the first message, so an unreachable one fails there, not here."""
    import dramatiq

    brokers: list = []

    def send(actor_name: str, *args) -> None:
        if not brokers:
            broker = make_broker(url)
            broker.declare_queue(QUEUE)
            brokers.append(broker)
        brokers[0].enqueue(dramatiq.Message(queue_name=QUEUE, actor_name=actor_name, args=tuple(args),
                                            kwargs={}, options={}))

    return send
