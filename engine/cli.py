"""The ``zkwb`` command line (docs/design.md, "The command line").

Exit codes: 0 success; 2 usage error or unreadable input; 3 guest fault.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from engine import __version__
from engine.errors import GuestFault, InputError, ZkwbError
from engine.fileio import read_bounded
from engine.text import printable_text

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_FAULT = 0, 1, 2, 3


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.run(args)
    except GuestFault as fault:
        return _report_fault(args, fault)
    except ZkwbError as e:
        return _report_error(args, str(e))
    except KeyboardInterrupt:
        print("zkwb: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zkwb", description="Run, prove and verify RV32IM guest programs.")
    parser.add_argument("--version", action="version", version=f"zkwb {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("execute", help="run a guest without proving it")
    p.add_argument("program", metavar="PROGRAM.elf")
    p.add_argument("--input", metavar="FILE|-", help="private input: a file, or - for stdin")
    p.add_argument("--max-cycles", type=_positive_int, metavar="N",
                   help="stop a guest that runs longer than N cycles (default 10^9)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=_cmd_execute)

    p = sub.add_parser("image-id", help="print a program's image ID")
    p.add_argument("program", metavar="PROGRAM.elf")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=_cmd_image_id)

    from engine.bench import SECTIONS
    p = sub.add_parser("bench", help="measure the engine's speed on this machine")
    p.add_argument("--quick", action="store_true", help="fewer repetitions, smaller sizes")
    p.add_argument("--only", type=_bench_sections, metavar="SECTION[,SECTION...]",
                   help="run only these sections: " + ", ".join(SECTIONS))
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    # A fresh process of a section's measurement (engine.bench.children), not for people.
    p.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.set_defaults(run=_cmd_bench)

    p = sub.add_parser("warm-up", help="compile every kernel now, so the first proof is fast",
                       description="Compiles (or loads from the cache) the kernels that "
                                   "executing, proving and verifying use: minutes once per "
                                   "machine, seconds when they are cached. The installed "
                                   "package ships them compiled.")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=_cmd_warm_up)

    from engine.cli_receipts import add_receipt_commands
    add_receipt_commands(sub)
    _add_ml_commands(sub)
    return parser


def _add_ml_commands(sub) -> None:
    """``zkwb ml ...``: the model commitment and private input of the digit guests."""
    group = sub.add_parser("ml", help="private inference: model commitments and guest inputs",
                           description="Helpers for the digit classifier guests "
                                       "(digits_mlp.elf, digits_forest.elf); see docs/ml.md.")
    group.set_defaults(run=lambda args: _usage(group))
    ml = group.add_subparsers(dest="ml_command", metavar="ML_COMMAND")

    p = ml.add_parser("commit", help="print a model's commitment (SHA-256 of its blob)")
    p.add_argument("model", metavar="MODEL.bin")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=_cmd_ml_commit)

    p = ml.add_parser("input", help="build a guest's private input: model blob + image",
                      description="Writes MODEL.bin followed by the 64 pixels of the image, "
                                  "the private input of digits_mlp.elf and digits_forest.elf.")
    p.add_argument("model", metavar="MODEL.bin")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("image", metavar="IMAGE", nargs="?",
                        help="a 64-byte raw image (pixels 0..16), a PNG or a .npy array")
    source.add_argument("--digit", type=_natural_int, metavar="N",
                        help="image N of the bundled digits data set instead of a file")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="where to write the private input (- for stdout)")
    p.add_argument("--ink", choices=("auto", "light", "dark"), default="auto",
                   help="PNG only: light strokes on dark, dark strokes on light, or guess (default)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=_cmd_ml_input)

    from engine.cli_receipts import add_ml_explain
    add_ml_explain(ml)


def _positive_int(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def _natural_int(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _bench_sections(text: str) -> tuple[str, ...]:
    from engine.bench import selected_sections
    try:
        return selected_sections(name for name in text.split(",") if name.strip())
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _usage(parser: argparse.ArgumentParser) -> int:
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


def _cmd_bench(args) -> int:
    if args.child is not None:
        return _run_bench_child(args.child)
    from engine.bench import run_all
    results = run_all(quick=args.quick, only=args.only, log=None if args.json else
                      (lambda msg: print(msg, file=sys.stderr, flush=True)))
    if args.json:
        print_json(results)
    else:
        width = max(len(k) for k in results)
        for key, value in results.items():
            print(f"{key:<{width}}  {value}")
    return EXIT_OK


def _run_bench_child(words: list[str]) -> int:
    from engine.bench.children import CHILDREN, run_child_routine
    if not words or words[0] not in CHILDREN:
        print(f"zkwb bench: --child needs one of {', '.join(CHILDREN)}", file=sys.stderr)
        return EXIT_USAGE
    run_child_routine(words[0], words[1:])
    return EXIT_OK


def _cmd_warm_up(args) -> int:
    from engine.kernel_cache import warm_up
    say = None if args.json else (lambda text: print(f"{text}...", file=sys.stderr, flush=True))
    result = warm_up(on_step=say)
    if args.json:
        print_json({"seconds": round(result["seconds"], 3),
                    "compile_seconds": round(result["compile_seconds"], 3),
                    "steps": result["steps"]})
    elif result["compile_seconds"] >= 0.05:
        print(f"kernels ready in {result['seconds']:.1f} s, "
              f"{result['compile_seconds']:.1f} s of it compiling (cached from now on)")
    else:
        print(f"kernels ready in {result['seconds']:.1f} s (all were cached)")
    return EXIT_OK


def _cmd_ml_commit(args) -> int:
    from engine.ml.blob import model_kind_name
    from engine.ml.interface import commitment, read_model
    blob, model = read_model(args.model)
    digest = commitment(blob).hex()
    if args.json:
        print_json({"commitment": digest, "model": args.model, "kind": model_kind_name(model),
                     "bytes": len(blob)})
    else:
        print(digest)
    return EXIT_OK


def _cmd_ml_input(args) -> int:
    from engine.ml.blob import model_kind_name
    from engine.ml.claim import render_ascii
    from engine.ml.interface import commitment, image_bytes, read_model
    if args.json and args.output == "-":
        raise InputError("--json prints on stdout, so the input cannot go there too: "
                         "give -o a file")
    blob, model = read_model(args.model)
    if args.digit is not None:
        from engine.ml.dataset import load_digits
        digits = load_digits()
        if args.digit >= len(digits.labels):
            raise InputError(f"the data set has {len(digits.labels)} images; "
                             f"--digit must be below that")
        pixels = digits.images[args.digit]
    else:
        from engine.ml.image import load_image
        pixels = load_image(args.image, ink=args.ink)
    data = blob + image_bytes(pixels)
    if args.output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        from engine.fileio import write_atomic
        write_atomic(args.output, data)
    summary = {"output": args.output, "bytes": len(data), "kind": model_kind_name(model),
               "model_bytes": len(blob), "commitment": commitment(blob).hex(),
               "image": pixels.reshape(8, 8).tolist()}
    if args.digit is not None:
        summary["label"] = int(digits.labels[args.digit])
    if args.json:
        print_json(summary)
    else:
        print(f"zkwb: wrote {len(data)} bytes to {args.output}: {model_kind_name(model)} model "
              f"{summary['commitment']} ({len(blob)} bytes) and the image\n"
              f"{render_ascii(pixels)}", file=sys.stderr)
    return EXIT_OK


def _report_fault(args, fault: GuestFault) -> int:
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


def _report_error(args, message: str) -> int:
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


if __name__ == "__main__":
    sys.exit(main())
