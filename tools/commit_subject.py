"""Refuse a commit whose subject (its message's first line) is longer than 72 characters.

Usage: python tools/commit_subject.py MESSAGE_FILE  (pre-commit's commit-msg hook, .pre-commit-config.yaml, passes
the file git wrote the message to). Lines git strips (``#`` comments) and blank lines before the subject are passed
over. Exits 1, saying how long the subject is, when it is over the limit; the detail belongs in the body, after a
blank line.
"""
import sys
from pathlib import Path

LIMIT = 72


def subject(message: str) -> str:
    """The first line of ``message`` that git keeps as the subject: not blank, not a ``#`` comment."""
    for line in message.splitlines():
        if line.strip() and not line.startswith("#"):
            return line.rstrip()
    return ""


def problem(message: str, limit: int = LIMIT) -> str | None:
    """Why ``message``'s subject is refused, or ``None`` when it is not."""
    first = subject(message)
    if len(first) <= limit:
        return None
    return (f"the commit subject is {len(first)} characters, over {limit}: shorten it and put the detail in the "
            f"body, after a blank line\n  {first[:limit]}|{first[limit:]}")


def main(argv: list) -> int:
    if len(argv) != 1:
        print("usage: python tools/commit_subject.py MESSAGE_FILE", file=sys.stderr)
        return 2
    why = problem(Path(argv[0]).read_text(encoding="utf-8", errors="replace"))
    if why:
        print(why, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
