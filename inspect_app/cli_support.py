"""What the command-line modules share (`cli.py`, `reports/cli.py`, `checklists/cli.py`): declaring a
command in one call, and running a piece of work on the database.

A command's `--help` description is its function's docstring, so what a command does is written once,
next to the code that does it.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from inspect_app.db import Database

T = TypeVar("T")
Argument = tuple[tuple[str, ...], dict[str, Any]]


def arg(*names: str, **options: Any) -> Argument:
    """One argument of a command, as `ArgumentParser.add_argument` takes it."""
    return names, options


def add_command(commands: argparse._SubParsersAction, name: str, run: Callable[[argparse.Namespace], int],
                summary: str, *arguments: Argument) -> argparse.ArgumentParser:
    """Add the command `name`: `summary` in the list of commands, `run`'s docstring as its description."""
    parser = commands.add_parser(name, help=summary, description=inspect.getdoc(run))
    for names, options in arguments:
        parser.add_argument(*names, **options)
    parser.set_defaults(func=run)
    return parser


def run_on_database(location: Path | str, work: Callable[[Database], Awaitable[T]]) -> T:
    """Open the database at `location` (`settings.database`: a SQLite file or a PostgreSQL URL), run
    `work` on it in a fresh event loop, and close it whatever happens."""
    from inspect_app.db import open_database  # the checklist commands never open a database

    async def run() -> T:
        db = await open_database(location)
        try:
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(run())
