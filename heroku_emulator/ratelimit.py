"""Heroku's per-account token bucket: a request costs one token, tokens refill steadily."""

import threading


class TokenBucket:
    def __init__(self, capacity, refill_per_minute, clock):
        self.capacity = float(capacity)
        self.refill_per_second = float(refill_per_minute) / 60.0
        self.clock = clock
        self.tokens = float(capacity)
        self.updated = clock.now()
        self.lock = threading.Lock()

    def _refill(self):
        now = self.clock.now()
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.refill_per_second)
        self.updated = now

    def take(self):
        """Spend one token; False when the bucket is empty."""
        with self.lock:
            self._refill()
            if self.tokens < 1.0:
                return False
            self.tokens -= 1.0
            return True

    def remaining(self):
        with self.lock:
            self._refill()
            return int(self.tokens)

    def set_remaining(self, tokens):
        with self.lock:
            self._refill()
            self.tokens = float(min(self.capacity, max(0, tokens)))
