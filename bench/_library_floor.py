"""bench_library's API process: the project's own app (`api.main:app`, unchanged) with one static
mount added in front, `/bench-floor` → `BENCH_FLOOR_DIR`, the floor the library pages are compared
with. Started by `_stack.Stack(api=True, api_app="_library_floor:app")`: the floor must be served
by the same process, event loop and uvicorn as the API, or the ratio would compare two servers."""

from __future__ import annotations

import os

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from api.main import app

app.router.routes.insert(0, Mount("/bench-floor", StaticFiles(directory=os.environ["BENCH_FLOOR_DIR"])))

__all__ = ["app"]
