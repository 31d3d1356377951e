"""Write the OpenAPI document the web client is generated from (web/openapi.json).

`python -m api.openapi_file web/openapi.json` writes it; tests/web/test_client_current.py fails
when the committed copy or the generated TypeScript no longer match the routes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def openapi_text() -> str:
    from api.main import app

    return json.dumps(app.openapi(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    Path(sys.argv[1] if len(sys.argv) > 1 else "web/openapi.json").write_text(openapi_text(), encoding="utf-8")
