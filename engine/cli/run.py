"""``zkwb execute`` and ``zkwb image-id``: run a guest, name a program."""
from __future__ import annotations

import sys

from engine.cli.common import EXIT_OK, Progress, positive_int, print_json, read_input
from engine.text import printable_text


def add_commands(sub) -> None:
    p = sub.add_parser("execute", help="run a guest without proving it")
    p.add_argument("program", metavar="PROGRAM.elf")
    p.add_argument("--input", metavar="FILE|-", help="private input: a file, or - for stdin")
    p.add_argument("--max-cycles", type=positive_int, metavar="N",
                   help="stop a guest that runs longer than N cycles (default 10^9)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=_cmd_execute)

    p = sub.add_parser("image-id", help="print a program's image ID")
    p.add_argument("program", metavar="PROGRAM.elf")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=_cmd_image_id)


def _cmd_execute(args) -> int:
    from engine.vm import execute, load_elf
    program = load_elf(args.program)
    data = read_input(args.input)
    progress = Progress("executing", enabled=not args.json)
    try:
        result = execute(program, data, max_cycles=args.max_cycles,
                         on_progress=lambda c: progress.update(f"{c:,} cycles"))
    finally:
        progress.close()
    log = result.log.decode("utf-8", errors="replace")
    if args.json:
        print_json({"exit_code": result.exit_code, "cycles": result.cycles,
                     "journal_hex": result.journal.hex(), "journal_text": printable_text(result.journal),
                     "log": log, "image_id": program.image_id_hex,
                     "seconds": round(result.seconds, 6), "mhz": round(result.mhz, 3)})
        return EXIT_OK
    if log:
        sys.stderr.write(log if log.endswith("\n") else log + "\n")
    text = printable_text(result.journal)
    if text is not None:
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
    else:
        sys.stdout.write(result.journal.hex() + "\n")
    sys.stdout.flush()
    print(f"zkwb: exit code {result.exit_code}, {result.cycles:,} cycles in "
          f"{result.seconds:.3f} s ({result.mhz:.1f} MHz), image {program.image_id_hex}",
          file=sys.stderr)
    return EXIT_OK


def _cmd_image_id(args) -> int:
    from engine.vm import load_elf
    program = load_elf(args.program)
    if args.json:
        print_json({"image_id": program.image_id_hex, "entry": program.entry,
                     "program": args.program})
    else:
        print(program.image_id_hex)
    return EXIT_OK
