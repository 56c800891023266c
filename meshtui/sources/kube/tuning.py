"""`KubeTuning`: the timing knobs of the cluster source. Stdlib only."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class KubeTuning:
    """Timing knobs; the defaults suit a real cluster, tests shrink them."""

    watch_timeout: int = 240
    """Server-side `timeoutSeconds` of each watch request (the client reads for +30 s)."""
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    """Client read timeout of list requests: how long a list page may give no answer before
    its kind says so (`reconnecting: Read timed out`) and asks again (a page of 500
    objects, even big ones, starts in well under a second on a healthy apiserver)."""
    discovery_timeout: float = 10.0
    """Client read timeout of discovery (small answers; capped by `read_timeout`): how long
    a cluster that accepts connections but does not answer takes to be reported."""
    page_size: int = 500
    discovery_interval: float = 30.0
    batch_window: float = 0.05
    """How long changes are gathered after the first one before a batch goes out."""
    batch_limit: int = 2000
    """A batch goes out at once when this many changes are pending."""
    initial_hold: float = 2.0
    """Longest the first load is held back waiting for every kind to list, and longest it
    then waits for the control plane's detection."""
    backoff_start: float = 0.5
    backoff_cap: float = 30.0
    forbidden_retry: float = 30.0
    """Pause before retrying a kind that answered 403 or 401."""

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1-based): doubling, capped, jittered."""
        delay = min(self.backoff_cap, self.backoff_start * 2.0 ** max(0, attempt - 1))
        return min(self.backoff_cap, delay * random.uniform(0.75, 1.25))
