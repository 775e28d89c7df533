"""What both embedded engines share: the error type and the var dir's checks."""

from __future__ import annotations

import os
from pathlib import Path

import psutil

__all__ = ["EngineError", "alive", "prepare_var_dir", "tail", "usable_dir"]

TAIL_LINES = 20


class EngineError(RuntimeError):
    """An embedded engine cannot run; the message says what to do about it."""


def tail(path: Path, lines: int = TAIL_LINES) -> str:
    """Return the last lines of a log file, or a note when it cannot be read."""
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no log at {path}: {exc.strerror})"
    return "\n".join(text.splitlines()[-lines:]) or f"(log {path} is empty)"


def usable_dir(path: Path, what: str) -> Path:
    """Create `path` if missing and check it is a directory this process may write into."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise EngineError(
            f"{what} {path} is not a directory (a file is in the way): move it away"
            " or set TIKETI_VAR_DIR to another directory"
        ) from exc
    except OSError as exc:
        raise EngineError(
            f"{what} {path} cannot be created ({exc.strerror}): fix the path or its"
            " permissions, or set TIKETI_VAR_DIR to another directory"
        ) from exc
    # os.access also reports read-only file systems for root, whom mode bits do not stop.
    if not os.access(path, os.W_OK | os.X_OK):
        raise EngineError(
            f"{what} {path} is not writable by uid {os.geteuid()}: fix the permissions"
            " or set TIKETI_VAR_DIR to another directory"
        )
    return path


def prepare_var_dir(var_dir: Path) -> Path:
    """Resolve the var dir to an absolute path and make sure it is usable."""
    # Absolute paths: pgserver keys its handles by resolved path and sockets need one.
    return usable_dir(var_dir.expanduser().resolve(), "data dir")


def alive(pid: int) -> bool:
    """True when `pid` is a running process (zombies count as dead)."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        # AccessDenied only happens for foreign processes, which are not ours to track.
        return False
