"""What every `evidence` subcommand shares: the console, the CLI's audit actor and the error exit."""

from __future__ import annotations

import os
from typing import NoReturn

import typer
from rich.console import Console

from evidence import audit

console = Console()
CLI = audit.Actor("cli", os.environ.get("USER"), f"cli:{os.environ.get('USER', '?')}")


def fail(message: str, code: int = 1) -> NoReturn:
    console.print(f"[red]error:[/] {message}")
    raise typer.Exit(code)
