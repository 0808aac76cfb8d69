"""Placeholder until this layer's commands land (see docs/ARCHITECTURE.md)."""

import typer


def register(app: typer.Typer) -> None:
    del app
