"""Scale benchmarks for meshtui: a synthetic-mesh generator and one module per measurement.

`python -m tests.perf [--sizes 1000,5000,10000,20000] [--quick]` runs every benchmark and
prints one table (see `__main__`). Nothing here is collected by pytest: no `test_*.py`.
"""

import os

# Benchmarks never touch the user's decode cache: theirs is next to the generated meshes
# (unless MESHTUI_CACHE_DIR says otherwise; bench_coldstart sets it for each start).
os.environ.setdefault("MESHTUI_CACHE_DIR", "/tmp/meshtui-perf/decode-cache")
