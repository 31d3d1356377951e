"""Readiness checks for the cluster's processes: each answers "is it serving yet?" cheaply,
without starting another process (a `celery inspect ping` costs seconds of CPU on a small box)."""

from __future__ import annotations

import socket

import httpx


def http_answers(url: str, statuses: tuple[int, ...] = (200,)) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code in statuses
    except httpx.HTTPError:
        return False


def volume_registered(master: str, volume: str) -> bool:
    """The master lists this volume server among its live data nodes (it can take writes)."""
    try:
        r = httpx.get(f"http://{master}/dir/status", timeout=2)
    except httpx.HTTPError:
        return False
    return r.status_code == 200 and f'"{volume}"' in r.text and http_answers(f"http://{volume}/status")


def redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def postgres_answers(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def logged(text: str):
    """Ready once the process's output (since this start) contains `text`."""
    return lambda process: text in process.output()
