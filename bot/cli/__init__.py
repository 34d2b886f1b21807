"""The `coach` command line: one module per command group, assembled here."""

from __future__ import annotations

import io
import sys

from bot.cli import ask, content, db, evaluate, indexing, quote, report, run
from bot.cli.common import CoachTyper

app = CoachTyper(
    help="Leadership Coach: cited answers for sales leaders, from a curated library.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
indexing.register(app)
ask.register(app)
evaluate.register(app)
quote.register(app)
app.add_typer(content.app, name="content")
report.register(app)
db.register(app)
run.register(app)


def main() -> None:
    # Input that is not UTF-8 (a Latin-1 question file) is read with U+FFFD for the bytes
    # it cannot decode, rather than failing the whole batch of questions with a traceback.
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")
    try:
        app()
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except BrokenPipeError:
        raise SystemExit(0) from None
