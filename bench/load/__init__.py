"""The load test of issue 14: simulated docking stations and browsing users against a running
service (bench/bench_load.py runs it against the single box and the cluster in one go).

- `seed.py`: the data users browse (units, users, stations through the API; recordings written
  straight into the database as set-up; a ledger imported through the API);
- `actors.py`: what one station and one user do, in a loop, until the clock runs out;
- `stats.py`: per-endpoint latencies (p50/p95/p99) and errors.

It is a bounded asyncio + httpx script rather than locust: it needs no new dependency (httpx is
already the project's client), runs for a fixed time in the bench process, so its own CPU is
counted beside the server's, and 250 simulated clients fit in one event loop on a 2-core machine,
where locust's gevent workers would add processes competing with the server for the same cores.
"""
