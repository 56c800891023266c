"""The snapshot tests share the test run's set-up (run alone too)."""

import tests.conftest  # noqa: F401  (the decode cache of the test run, not the user's)
