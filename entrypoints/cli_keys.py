"""`evidence signing-key`: show the service's key fingerprints (what a court pins) and rotate the key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from entrypoints.cli_common import CLI, console
from evidence.audit import signing
from evidence.db import session_scope
from evidence.errors import DomainError

signing_app = typer.Typer(help="The Ed25519 key that signs court exports and audit checkpoints.",
                          no_args_is_help=True)


@signing_app.command("show")
def show(as_json: Annotated[bool, typer.Option("--json", help="Print the published key list (as "
                                                             "/api/v1/signing-key serves it)")] = False) -> None:
    """Print the current key's fingerprint and every retired key with its validity period."""
    with session_scope() as session:
        listing = signing.published(session)
    if as_json:
        print(json.dumps(listing, ensure_ascii=False, indent=2))
        return
    console.print(f"current signing key: [bold]{listing['current']}[/] (Ed25519)")
    console.print("A court package is trusted only if verify.py names this fingerprint; pin it with "
                  "`verify.py PACKAGE --fingerprint FP` or `--public-key keys.json` (from /api/v1/signing-key).")
    for key in listing["keys"]:
        console.print(f"  {key['fingerprint']}  {key['status']:8}  valid from {key['valid_from']} "
                      f"to {key['valid_to'] or 'now'}")


@signing_app.command("rotate")
def rotate(out: Annotated[Path | None, typer.Option(help="Write the new private key here (needed when "
                                                         "EVIDENCE_SIGNING_KEY is set)")] = None) -> None:
    """Retire the current key (it stays in the published list) and start signing with a new one."""
    try:
        with session_scope() as session:
            old, new = signing.rotate(session, CLI, out)
    except DomainError as exc:
        console.print(f"[red]error:[/] {exc.message}")
        raise typer.Exit(1)
    console.print(f"retired key {old}; new signing key {new}")
    if out is not None:
        console.print(f"the new private key is in {out}: set EVIDENCE_SIGNING_KEY to it on every host")
