"""The Redis message queue's listener, bounded in how long it can be deaf.

python-socketio's `RedisManager` listens with `pubsub.listen()`, which blocks until a message
comes, and after losing Redis subscribes again on a doubling delay (1, 2, 4 ... 60 s). Two ways
a worker then missed broadcasts for long: after an outage it could sleep up to a minute before
subscribing again, and on a connection that died silently (the network between it and Redis
dropped without a reset) it waited forever. Everything published meanwhile never reached its
clients. `HealingRedisManager` keeps python-socketio's manager (publishing, rooms, callbacks)
and replaces only its listening loop:

- it waits for messages at most a second at a time, and when Redis has said nothing for
  `ping_after` seconds it pings; no answer within `answer_within` seconds counts as a lost
  connection;
- after a lost connection it subscribes again on a doubling delay capped at `retry_max`
  seconds (TEAMWORK_QUEUE_RETRY_MAX_SECONDS);
- once Redis confirms a subscription it calls `on_subscribed` (the app announces every live
  room's version to this worker's clients, `realtime.services.announce_versions_soon`), since
  whatever was published while it was deaf is lost.

The subclass overrides python-socketio's private `_redis_listen_with_retries` (5.x); a test
(tests/realtime/test_queue.py) runs it against a fake Redis so an upgrade that changes the hook
fails there.

Infrastructure: imports only python-socketio and redis-py.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from socketio import RedisManager

log = logging.getLogger(__name__)


class ListenerSilent(ConnectionError):
    """Redis did not answer the listener's ping in time."""


class HealingRedisManager(RedisManager):  # type: ignore[misc]
    def __init__(
        self,
        url: str,
        *,
        channel: str,
        redis_options: dict[str, Any] | None = None,
        retry_first: float = 0.25,
        retry_max: float = 2.0,
        ping_after: float = 5.0,
        answer_within: float = 3.0,
        on_subscribed: Callable[[], Any] | None = None,
        sleep: Callable[[float], Any] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(url, channel=channel, redis_options=redis_options)
        self.retry_first = retry_first
        self.retry_max = retry_max
        self.ping_after = ping_after
        self.answer_within = answer_within
        self.on_subscribed = on_subscribed
        self._sleep = sleep
        self._clock = clock
        self.subscriptions = 0  # how many times the listener subscribed (tests and logs)

    def _listener_pubsub(self) -> Any:
        """A new pub/sub connection for the listener, its own (publishing reconnects apart)."""
        if self.redis is None:
            self._redis_connect()
        # Subscription confirmations and pongs are read too: they prove the connection alive.
        return self.redis.pubsub(ignore_subscribe_messages=False)

    def _redis_listen_with_retries(self) -> Iterator[dict[str, Any]]:
        delay = self.retry_first
        lost_at: float | None = None
        while True:
            pubsub = None
            try:
                pubsub = self._listener_pubsub()
                pubsub.subscribe(self.channel)
                for message in self._messages(pubsub):
                    if message is _SUBSCRIBED:
                        delay = self.retry_first
                        if lost_at is not None:
                            log.warning(
                                "Listening to Redis again after %.1f s deaf",
                                self._clock() - lost_at,
                            )
                            lost_at = None
                        self._subscribed()
                        continue
                    yield message
            except Exception as exc:  # a lost connection: subscribe again, soon
                if lost_at is None:
                    lost_at = self._clock()
                    log.error("Lost the Redis listener (%s); subscribing again", exc)
                else:
                    log.debug("Redis listener still down (%s); retrying in %.2f s", exc, delay)
                if pubsub is not None:
                    with contextlib.suppress(Exception):
                        pubsub.close()
                self._sleep(delay)
                delay = min(delay * 2, self.retry_max)

    def _subscribed(self) -> None:
        self.subscriptions += 1
        if self.on_subscribed is not None:
            try:
                self.on_subscribed()
            except Exception:  # the beacon still runs on its interval
                log.exception("on_subscribed failed")

    def _messages(self, pubsub: Any) -> Iterator[Any]:
        """This connection's messages (and _SUBSCRIBED when Redis confirms the subscription)
        until it is found dead: an error, or no answer to a ping in time."""
        heard = self._clock()
        pinged: float | None = None
        while True:
            message = pubsub.get_message(timeout=1.0)
            now = self._clock()
            if message is None:
                if pinged is not None and now - pinged > self.answer_within:
                    raise ListenerSilent(f"no answer to a ping within {self.answer_within} s")
                if pinged is None and now - heard > self.ping_after:
                    pubsub.ping()
                    pinged = now
                continue
            heard, pinged = now, None
            kind = message.get("type")
            if kind == "subscribe":
                yield _SUBSCRIBED
            elif kind == "message":
                yield message


_SUBSCRIBED: Any = object()
