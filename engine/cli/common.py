"""What every ``zkwb`` command shares: exit codes, argument types, the private input,
JSON output, the progress line and how errors and guest faults are reported.

Exit codes: 0 success (``verify``: valid); 1 ``verify``: invalid; 2 usage error or
unreadable input; 3 guest fault.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from engine.errors import GuestFault, InputError
from engine.fileio import read_bounded

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_FAULT = 0, 1, 2, 3


def positive_int(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def natural_int(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def read_input(spec: str | None) -> bytes:
    """The private input named by ``--input`` (a path, ``-`` for stdin, or none)."""
    from engine.vm.memory_map import MAX_INPUT_BYTES
    if spec is None:
        return b""
    if spec == "-":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        if len(data) > MAX_INPUT_BYTES:
            raise InputError(f"the private input is larger than the {MAX_INPUT_BYTES >> 20} "
                             "MiB limit")
        return data
    return read_bounded(spec, MAX_INPUT_BYTES, "private input")


def report_fault(args, fault: GuestFault) -> int:
    if getattr(args, "json", False):
        print_json({"error": str(fault), "fault": fault.reason, "pc": fault.pc,
                     "instruction": fault.insn, "cycles": fault.cycles,
                     "journal_hex": fault.journal.hex(),
                     "log": fault.log.decode("utf-8", errors="replace")})
    else:
        if fault.log:
            sys.stderr.write(fault.log.decode("utf-8", errors="replace"))
        print(f"zkwb: {fault}", file=sys.stderr)
    return EXIT_FAULT


def report_error(args, message: str) -> int:
    if getattr(args, "json", False):
        print_json({"error": message})
    else:
        print(f"zkwb: {message}", file=sys.stderr)
    return EXIT_USAGE


def print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, indent=None) + "\n")
    sys.stdout.flush()


class Progress:
    """A one-line progress display on stderr, only when stderr is a terminal."""

    def __init__(self, label: str, enabled: bool = True):
        self.label = label
        self.enabled = enabled and sys.stderr.isatty()
        self.start = time.perf_counter()
        self.shown = False

    def update(self, detail: str) -> None:
        if self.enabled:
            elapsed = time.perf_counter() - self.start
            sys.stderr.write(f"\r{self.label}: {detail} ({elapsed:.1f} s)\x1b[K")
            sys.stderr.flush()
            self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
