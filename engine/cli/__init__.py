"""The ``zkwb`` command line (docs/design.md, "The command line"): one module per
command group, each adding its commands with ``add_commands(sub)``.

Exit codes (engine.cli.common): 0 success (``verify``: valid); 1 ``verify``: invalid;
2 usage error or unreadable input; 3 guest fault; 141 the reader of the output went away
(a closed pipe).
"""
from __future__ import annotations

import argparse
import os
import sys

from engine import __version__
from engine.cli import bench, ml, receipts, run, toolchain, warm_up, worker
from engine.cli.common import EXIT_USAGE, report_error, report_fault
from engine.errors import GuestFault, ZkwbError

GROUPS = (run, receipts, ml, bench, warm_up, toolchain, worker)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.run(args)
    except GuestFault as fault:
        return report_fault(args, fault)
    except ZkwbError as e:
        return report_error(args, str(e))
    except KeyboardInterrupt:
        print("zkwb: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (``zkwb inspect R | head``): stop quietly,
        # and keep Python from reporting the pipe again when it flushes at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zkwb", description="Run, prove and verify RV32IM guest programs.")
    parser.add_argument("--version", action="version", version=f"zkwb {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in GROUPS:
        group.add_commands(sub)
    return parser


if __name__ == "__main__":
    sys.exit(main())
