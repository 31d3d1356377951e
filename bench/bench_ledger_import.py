"""Hostile ledger imports against a real API process: time, the server's peak memory, the answer,
and how long other requests waited meanwhile (issue 10, item 11).

It builds the inputs itself: a 5 MB CSV of valid rows, a 1.6 KB XLSX declaring A1:XFD20000 and a
~1.5 MB zip-bomb XLSX of bad rows. For each input it starts `uvicorn api.main:app` from
`--checkout` (default: this tree; point it at an old checkout to compare) on a fresh PostgreSQL
database, posts the file as an admin, and meanwhile asks GET /api/v1/auth/me again and again.

    .venv/bin/python bench/bench_ledger_import.py                          # this tree
    .venv/bin/python bench/bench_ledger_import.py --checkout /work/tmp-old  # another checkout
    .venv/bin/python bench/bench_ledger_import.py --only csv,bomb          # some inputs only

Needs PostgreSQL on 127.0.0.1:5432 (trust) and Redis on 127.0.0.1:6379, like the tests.
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import httpx
import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import log, save_report  # noqa: E402
from storage.seaweedfs import free_port  # noqa: E402
from tests.conftest import create_pg_database, drop_pg_database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HEADER = "event_id,event_type,police_ids,started_at,ended_at,location\n"


# -- inputs ------------------------------------------------------------------------------------
def big_csv(target_mb: float = 5.0) -> bytes:
    lines, size, i = [HEADER], len(HEADER), 0
    while size < target_mb * 1024 * 1024:
        line = (f"EV{i:07d},ticket,{10000 + i % 400},2026-09-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d},"
                f"2026-09-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:30,G15沈海高速K{i % 900}+{i % 1000:03d}北向应急车道\n")
        lines.append(line)
        size += len(line.encode())
        i += 1
    return "".join(lines).encode()


def _book(rows: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def wide_xlsx() -> bytes:
    """A small workbook declaring A1:XFD20000 whose 20,000 rows each hold one cell in column XFD:
    openpyxl pads every row to 16,384 cells."""
    plain = _book([["event_id", "event_type", "police_ids", "started_at"], ["W1", "ticket", "1", "2026-09-01 08:00"]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<dimension ref="A1:D2" />', b'<dimension ref="A1:XFD20000" />')
                rows = "".join(f'<row r="{r}"><c r="XFD{r}" t="inlineStr"><is><t>x</t></is></c></row>'
                               for r in range(3, 20001))
                data = data.replace(b"</sheetData>", rows.encode() + b"</sheetData>")
                assert b"XFD20000" in data
            dst.writestr(item.filename, data)
    return out.getvalue()


def bomb_xlsx(rows: int) -> bytes:
    """Many identical bad rows written straight into the sheet XML: small zipped, huge unpacked."""
    plain = _book([["event_id", "event_type", "police_ids", "started_at"]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(item.filename, data)
                continue
            head, tail = data.split(b"</sheetData>")
            head = head.replace(b'<dimension ref="A1:D1" />', b"")
            with dst.open(item.filename, "w", force_zip64=True) as sheet:
                sheet.write(head)
                cell = '<c t="inlineStr"><is><t>{}</t></is></c>'
                for r in range(2, rows + 2):
                    sheet.write((f'<row r="{r}">' + cell.format("B") + cell.format("bogus-type") + cell.format("1")
                                 + cell.format("2026-09-01 08:00") + "</row>").encode())
                sheet.write(b"</sheetData>" + tail)
    return out.getvalue()


# -- one server ----------------------------------------------------------------------------------
def _py(checkout: Path) -> str:
    venv = checkout / ".venv" / "bin" / "python"
    return str(venv if venv.exists() else sys.executable)


def _rss_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def run_one(checkout: Path, name: str, data: bytes, filename: str) -> dict:
    url = create_pg_database()
    data_dir = Path(f"/tmp/bench-ledger-{secrets.token_hex(3)}")
    data_dir.mkdir()
    env = {**os.environ, "EVIDENCE_DATABASE_URL": url, "EVIDENCE_DATA_DIR": str(data_dir),
           "EVIDENCE_BROKER_URL": "redis://127.0.0.1:6379/0", "EVIDENCE_BROKER_KEY_PREFIX": f"bench-{data_dir.name}:",
           "EVIDENCE_S3_ENDPOINT": "http://127.0.0.1:9", "EVIDENCE_SECRET_KEY": secrets.token_urlsafe(32),
           "EVIDENCE_LOG_LEVEL": "WARNING", "PYTHONPATH": str(checkout)}
    password, police_id = secrets.token_urlsafe(12), "BENCHADMIN"
    setup = ("from evidence.migrate import upgrade; from evidence.audit import service as audit; "
             "from evidence.identity import service as identity; "
             "from evidence.db import session_scope; import os; upgrade(os.environ['EVIDENCE_DATABASE_URL'])\n"
             f"with session_scope() as s: identity.create_user(s, audit.SYSTEM, {police_id!r}, 'Bench', 'admin', {password!r})")
    subprocess.run([_py(checkout), "-c", setup], cwd=checkout, env=env, check=True)
    port = free_port()
    server = subprocess.Popen([_py(checkout), "-m", "uvicorn", "api.main:app", "--port", str(port), "--log-level", "warning"],
                              cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=open(data_dir / "api.log", "wb"))
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=900) as http:
            for _ in range(300):
                try:
                    r = http.post("/api/v1/auth/login", json={"police_id": police_id, "password": password})
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
            http.get("/api/v1/auth/me", headers=auth)  # warm
            with open(f"/proc/{server.pid}/clear_refs", "w") as fh:
                fh.write("5")  # reset the peak RSS counter
            rss_before = _rss_kb(server.pid, "VmRSS")
            waits: list[float] = []
            done = threading.Event()

            def probe():
                with httpx.Client(base_url=base, timeout=900) as other:
                    while not done.is_set():
                        t = time.perf_counter()
                        other.get("/api/v1/auth/me", headers=auth)
                        waits.append(time.perf_counter() - t)
                        time.sleep(0.05)

            prober = threading.Thread(target=probe)
            t0 = time.perf_counter()
            prober.start()
            resp = http.post("/api/v1/ledger/import", headers=auth,
                             files={"file": (filename, data, "application/octet-stream")})
            took = time.perf_counter() - t0
            done.set()
            prober.join()
            peak = _rss_kb(server.pid, "VmHWM")
        try:
            body = resp.json()
        except ValueError:  # a 500 answers text
            body = {"detail": resp.text}
        summary = {k: body[k] for k in ("created", "updated", "error_count") if k in body}
        if isinstance(body.get("errors"), list):
            summary["errors_listed"] = len(body["errors"])
        if isinstance(body.get("detail"), str):
            summary["detail"] = body["detail"][:160]
        return {"input": name, "input_bytes": len(data), "status": resp.status_code, "seconds": round(took, 2),
                "response_bytes": len(resp.content), "server_peak_rss_mb": round(peak / 1024, 1),
                "server_rss_growth_mb": round((peak - rss_before) / 1024, 1), "other_requests": len(waits),
                "other_median_ms": round(statistics.median(waits) * 1000, 1) if waits else None,
                "other_max_ms": round(max(waits) * 1000, 1) if waits else None, **summary}
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        drop_pg_database(url)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkout", type=Path, default=ROOT, help="the code to run (a checkout with its .venv)")
    ap.add_argument("--only", default="csv,wide,bomb", help="comma list of csv, wide, bomb")
    ap.add_argument("--bomb-rows", type=int, default=500_000)
    args = ap.parse_args()
    wanted = args.only.split(",")
    inputs = {"csv": lambda: ("5 MB CSV of valid rows", big_csv(), "ledger.csv"),
              "wide": lambda: ("XLSX declaring A1:XFD20000", wide_xlsx(), "wide.xlsx"),
              "bomb": lambda: ("zip-bomb XLSX", bomb_xlsx(args.bomb_rows), "bomb.xlsx")}
    results = []
    for key in wanted:
        name, data, filename = inputs[key]()
        log(f"{name}: {len(data):,} bytes, against {args.checkout}")
        result = run_one(args.checkout.resolve(), name, data, filename)
        log(str(result))
        results.append(result)
    path = save_report("ledger-import", {"checkout": str(args.checkout), "results": results})
    print(f"{'input':28} {'status':>6} {'s':>7} {'peak MB':>8} {'+MB':>7} {'resp KB':>8} {'others':>6} "
          f"{'med ms':>7} {'max ms':>9}")
    for r in results:
        print(f"{r['input']:28} {r['status']:>6} {r['seconds']:>7} {r['server_peak_rss_mb']:>8} "
              f"{r['server_rss_growth_mb']:>7} {r['response_bytes'] / 1024:>8.0f} {r['other_requests']:>6} "
              f"{r['other_median_ms']!s:>7} {r['other_max_ms']!s:>9}")
    print(f"report: {path}")


if __name__ == "__main__":
    main()
