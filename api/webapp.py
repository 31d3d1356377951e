"""The web application (web/dist, built by scripts/serve and scripts/test) served at "/".

Client-side routes fall back to index.html; /api/v1, /docs, /redoc, /openapi.json and /health
keep their own handlers because they are registered first. Who: anyone (the files hold no data;
every API call the pages make states its own caller).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse

WEB_DIST = Path(__file__).resolve().parent.parent / "web" / "dist"
API_PREFIXES = ("api/", "docs", "redoc", "openapi.json", "health")


def mount_webapp(app: FastAPI, dist: Path = WEB_DIST) -> None:
    """Serve the built files, and index.html for any other GET so deep links and reloads work."""

    @app.get("/{path:path}", include_in_schema=False)
    def webapp(path: str) -> FileResponse:
        if path.startswith(API_PREFIXES):
            raise HTTPException(404, "Not Found")
        index = dist / "index.html"
        if not index.is_file():
            raise HTTPException(404, "the web application is not built: run scripts/serve (it builds web/) "
                                     "or `npm --prefix web ci && npm --prefix web run build`")
        target = (dist / path).resolve()
        if path and target.is_file() and target.is_relative_to(dist.resolve()):
            # Hashed asset names change with their content: cache them for a year; index.html never.
            cache = "public, max-age=31536000, immutable" if path.startswith("assets/") else "no-cache"
            return FileResponse(target, headers={"Cache-Control": cache})
        if path.startswith("assets/"):
            raise HTTPException(404, "Not Found")
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
