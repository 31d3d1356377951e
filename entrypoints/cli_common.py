"""What every `evidence` subcommand shares: the console, the CLI's audit actor and the error exit."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

from evidence.actors import cli_actor

console = Console()
CLI = cli_actor()


def fail(message: str, code: int = 1) -> NoReturn:
    console.print(f"[red]error:[/] {message}")
    raise typer.Exit(code)
