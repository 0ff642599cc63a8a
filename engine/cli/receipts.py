"""``zkwb prove``, ``zkwb verify`` and ``zkwb inspect`` (docs/design.md, "The command line").

Exit codes: engine.cli.common. ``add_verifying_command``, ``verified`` and ``policy_of``
serve every command that checks a receipt (``zkwb ml explain`` too).
"""
from __future__ import annotations

import sys

from engine.cli.common import EXIT_INVALID, EXIT_OK, Progress, print_json, read_input
from engine.runtime.compile_time import describe_verify_time
from engine.text import printable_text


def add_commands(sub) -> None:
    p = sub.add_parser("prove", help="run a guest and prove it: write a receipt")
    p.add_argument("program", metavar="PROGRAM.elf")
    p.add_argument("--input", metavar="FILE|-", help="private input: a file, or - for stdin")
    p.add_argument("-o", "--output", required=True, metavar="OUT.zkr", help="receipt to write")
    p.add_argument("--detached", action="store_true",
                   help="leave the program image out (verifiers then need the ELF)")
    p.add_argument("--max-cycles", type=int, metavar="N", help="cycle limit of the run")
    p.add_argument("--segment-rows", metavar="N",
                   help="rows per segment trace of a long run: a power of two from 1024 "
                        "(2^10) to 1048576 (2^20), or 2^K (default 2^18); a run that fits "
                        "one segment is one segment")
    p.add_argument("--check", action="store_true",
                   help="also check every constraint on every row before proving (about an "
                        "eighth slower; names the constraint a bad witness breaks). The "
                        "receipt is verified before it is written either way")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--cluster", metavar="tcp://HOST:8786",
                       help="prove the segments on the workers of this Dask scheduler "
                            "(docs/distributed.md; start workers with `zkwb worker`)")
    where.add_argument("--workers", type=int, metavar="N",
                       help="prove the segments on N worker processes started on this "
                            "machine for the run (a Dask LocalCluster)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=_cmd_prove)

    add_verifying_command(sub, "verify", "check a receipt", _cmd_verify)

    p = sub.add_parser("inspect", help="show what a receipt claims, without verifying it")
    p.add_argument("receipt", metavar="RECEIPT.zkr")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=_cmd_inspect)


def add_verifying_command(sub, name: str, help_text: str, run) -> None:
    """A command taking a receipt, an optional expected image (ID or program) and the
    proof parameters to accept beyond the shipped ones."""
    p = sub.add_parser(name, help=help_text)
    p.add_argument("receipt", metavar="RECEIPT.zkr")
    pin = p.add_mutually_exclusive_group()
    pin.add_argument("--image-id", metavar="HEX", help="the image ID the receipt must prove")
    pin.add_argument("--elf", metavar="PROGRAM.elf", help="the program the receipt must prove")
    p.add_argument("--allow-params", action="append", default=[], metavar="SPEC",
                   help="also accept receipts made with these proof parameters (repeatable): "
                        "name=value,... among log_blowup, num_queries, query_pow_bits, "
                        "fri_log_arity, fri_log_final_len, logup_pow_bits, global_pow_bits, "
                        "zk (true/false); fields not given take the default. Accepting them "
                        "is accepting their (lower) security")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def segment_height(text: str | None) -> int | None:
    """``--segment-rows`` as a log2 height (None when not given); ``InputError`` unless a
    power of two (written ``N`` or ``2^K``) in the supported range."""
    from engine.errors import InputError
    from engine.prover.local import check_segment_height

    if text is None:
        return None
    text = text.strip()
    try:
        if text.startswith("2^"):
            log_height = int(text[2:])
        else:
            rows = int(text.replace("_", ""))
            if rows < 1 or rows & (rows - 1):
                raise InputError(f"--segment-rows {text}: a segment has a power of two rows")
            log_height = rows.bit_length() - 1
    except ValueError:
        raise InputError(f"--segment-rows {text!r} is not a number of rows") from None
    try:
        return check_segment_height(log_height)
    except InputError as e:
        raise InputError(f"--segment-rows {text}: {e}") from None


def _cmd_prove(args) -> int:
    from engine.api import prove
    from engine.events import PhaseStarted, SegmentFinished, SegmentsPlanned, SegmentStarted
    from engine.events import Progress as ProgressEvent
    from engine.fileio import write_atomic
    from engine.receipt import encode_receipt
    from engine.vm import load_elf

    log_height = segment_height(args.segment_rows)
    program = load_elf(args.program)
    data = read_input(args.input)
    bar = Progress("proving", enabled=not args.json)
    state = {"phase": "execute", "segment": None, "count": 0, "cycles": 0, "rows": 0,
             "done": 0, "proven": 0, "proving": {}}
    workers = {}

    def show() -> None:
        if state["segment"] is None or state["count"] < 2:
            bar.update(state["phase"])
            return
        total = max(state["cycles"], 1)
        filled = round(30 * state["done"] / total)
        if state["proving"]:
            # On a cluster: the segments in flight, each with its worker.
            doing = ", ".join(f"{k + 1} on {w}" for k, w in sorted(state["proving"].items()))
            bar.update(f"[{'#' * filled}{'.' * (30 - filled)}] {state['proven']}/"
                       f"{state['count']} segments proven; proving {doing}")
            return
        bar.update(f"[{'#' * filled}{'.' * (30 - filled)}] {state['done']:,}/{state['cycles']:,} "
                   f"cycles, segment {state['segment'] + 1}/{state['count']} "
                   f"({state['proven']} proven): {state['phase']}")

    def on_event(event) -> None:
        if isinstance(event, SegmentsPlanned):
            state.update(count=event.count, cycles=event.cycles, rows=event.rows_per_segment)
        elif isinstance(event, SegmentStarted):
            state["segment"] = event.index
            if event.worker is not None:
                state["proving"][event.index] = event.worker
        elif isinstance(event, SegmentFinished):
            state["proven"] += 1
            if event.worker is None:
                state["done"] = min(state["cycles"], (event.index + 1) * state["rows"])
            else:
                state["proving"].pop(event.index, None)
                workers[event.index] = event.worker
                state["done"] = min(state["cycles"], state["proven"] * state["rows"])
        elif isinstance(event, PhaseStarted):
            state["phase"] = event.phase
        elif isinstance(event, ProgressEvent):
            state["phase"] = f"{event.phase} {event.fraction:4.0%}"
        else:
            return
        show()

    try:
        result = prove(program, data, detached=args.detached, max_cycles=args.max_cycles,
                       log_segment_height=log_height, row_check=args.check,
                       on_event=on_event, cluster=args.cluster, workers=args.workers)
    finally:
        bar.close()
    encoded = encode_receipt(result.receipt)
    write_atomic(args.output, encoded)
    receipt = result.receipt
    segments = [{"index": k, "trace_rows": 1 << s.log_trace_height,
                 "first_cycle": f.first_cycle, "cycles": f.cycles,
                 "journal_end": s.journal_end, "seal_bytes": len(s.seal),
                 "seconds": round(f.seconds, 3),
                 **({"worker": workers[k]} if k in workers else {})}
                for k, (s, f) in enumerate(zip(receipt.segments, result.segment_figures))]
    if args.json:
        print_json({"receipt": args.output, "bytes": len(encoded),
                    "exit_code": receipt.exit_code, "cycles": result.execution.cycles,
                    "trace_rows": result.trace_rows, "seconds": round(result.seconds, 3),
                    "khz": round(result.khz, 2), "security_bits": receipt.security_bits,
                    "image_id": receipt.image_id.hex(), "journal_hex": receipt.journal.hex(),
                    "compile_seconds": round(result.compile_seconds, 3),
                    "phase_seconds": {k: round(v, 3) for k, v in result.phase_seconds.items()},
                    "segment_count": receipt.segment_count, "segments": segments})
        return EXIT_OK
    log = result.execution.log.decode("utf-8", errors="replace")
    if log:
        sys.stderr.write(log if log.endswith("\n") else log + "\n")
    text = printable_text(receipt.journal)
    where = (f"in a trace of {result.trace_rows:,} rows" if receipt.segment_count == 1 else
             f"in {receipt.segment_count} segments of "
             f"{1 << receipt.log_trace_height:,} rows")
    print(f"wrote {args.output} ({len(encoded):,} bytes): image {receipt.image_id.hex()}, "
          f"exit code {receipt.exit_code}, {result.execution.cycles:,} cycles {where}, "
          f"{result.seconds:.2f} s ({result.khz:.1f} kHz), {receipt.security_bits:.1f} bits")
    if result.compile_seconds >= 0.05:
        print(f"({result.compile_seconds:.1f} s of that compiled the prover's kernels: first "
              "use on this machine, cached from now on)")
    print("journal: " + (text.rstrip("\n") if text is not None else receipt.journal.hex()))
    return EXIT_OK


def _cmd_verify(args) -> int:
    result, program, expected_id = verified(args)
    if not result.pinned:
        print(f"note: checked only against the program the receipt carries (image "
              f"{result.image_id.hex()}): the verdict does not say which program that is; "
              "pin the one you expect with --elf PROGRAM.elf or --image-id HEX",
              file=sys.stderr)
    if args.json:
        print_json({"valid": result.valid, "reason": result.reason,
                    "image_id": result.image_id.hex(), "pinned": result.pinned,
                    "image_matches": result.image_matches,
                    "journal_hex": result.journal.hex(),
                    "journal_text": printable_text(result.journal),
                    "exit_code": result.exit_code, "security_bits": result.security_bits,
                    "trace_rows": result.trace_rows, "seconds": round(result.seconds, 4),
                    "compile_seconds": round(result.compile_seconds, 3),
                    "segments": result.segments})
        return EXIT_OK if result.valid else EXIT_INVALID
    source = ("the program you gave" if program is not None else
              "the image ID you gave" if expected_id is not None else
              "the program embedded in the receipt (no expected image given)")
    if result.valid:
        text = printable_text(result.journal)
        print(f"valid: image {result.image_id.hex()} (checked against {source}) exited with "
              f"code {result.exit_code}; {result.security_bits:.1f} bits; verified in "
              f"{describe_verify_time(result.seconds, result.compile_seconds)}")
        print("journal: " + (text.rstrip("\n") if text is not None else result.journal.hex()))
        return EXIT_OK
    print(f"INVALID: {result.reason}", file=sys.stderr)
    print(f"image {result.image_id.hex()} (checked against {source})", file=sys.stderr)
    return EXIT_INVALID


def verified(args, receipt=None, program=None, policy=None):
    """Read (unless given) and verify ``args.receipt`` against ``--image-id``/``--elf``
    (or ``program``) if given, under the policy of ``--allow-params``; returns
    ``(VerificationResult, program or None, expected image ID or None)``."""
    from engine.api import verify
    from engine.errors import InputError
    from engine.receipt import read_receipt
    from engine.vm import load_elf

    if policy is None:
        policy = policy_of(args.allow_params)
    if receipt is None:
        receipt = read_receipt(args.receipt)
    expected_id = None
    if args.image_id is not None:
        try:
            expected_id = bytes.fromhex(args.image_id)
        except ValueError:
            expected_id = b""
        if len(expected_id) != 32:
            raise InputError("--image-id must be 64 hexadecimal digits (32 bytes)")
    if args.elf:
        program = load_elf(args.elf)
    return (verify(receipt, image_id=expected_id, program=program, policy=policy), program,
            expected_id)


def policy_of(specs: list[str]):
    """The verification policy of ``--allow-params`` (the shipped parameters only when
    none is given); a malformed SPEC is a usage error."""
    from engine.errors import InputError
    from engine.policy import VerificationPolicy, parse_params_spec

    allowed = []
    for spec in specs:
        try:
            allowed.append(parse_params_spec(spec))
        except ValueError as e:
            raise InputError(f"--allow-params {spec!r}: {e}") from None
    return VerificationPolicy.allowing(*allowed) if allowed else VerificationPolicy()


def _cmd_inspect(args) -> int:
    from engine.receipt import read_receipt

    receipt = read_receipt(args.receipt)
    info = {
        "image_id": receipt.image_id.hex(), "exit_code": receipt.exit_code,
        "journal_hex": receipt.journal.hex(), "journal_text": printable_text(receipt.journal),
        "journal_bytes": len(receipt.journal), "security_bits": receipt.security_bits,
        # All segments' rows, as prove and verify report them (each one's are below).
        "trace_rows": receipt.trace_rows,
        "detached": receipt.detached,
        "segment_count": receipt.segment_count, "seal_bytes": receipt.seal_bytes,
        "params": {k: getattr(receipt.params, k) for k in receipt.params.__dataclass_fields__},
    }
    if receipt.image is not None:
        info["image_matches_id"] = receipt.image.image_id() == receipt.image_id
        info["entry"] = receipt.image.entry
        info["code_ranges"] = [list(r) for r in receipt.image.code_ranges]
        info["image_words"] = len(receipt.image.word_addresses)
    segments = [{"index": i, "log_trace_height": s.log_trace_height,
                 "trace_rows": 1 << s.log_trace_height, "journal_end": s.journal_end,
                 "seal_bytes": len(s.seal)} for i, s in enumerate(receipt.segments)]
    if args.json:
        print_json({**info, "segments": segments})
        return EXIT_OK
    print("not verified (use zkwb verify); the receipt claims:")
    for key, value in info.items():
        if key not in ("journal_hex", "journal_text"):
            print(f"  {key:<17} {value}")
    text = info["journal_text"]
    print("  journal           " + (repr(text) if text is not None else info["journal_hex"]))
    print("  segments          (index, trace rows, journal end, seal bytes)")
    for s in segments:
        print(f"    {s['index']:>6}  2^{s['log_trace_height']:<2} rows  journal end "
              f"{s['journal_end']:>10,}  seal {s['seal_bytes']:>12,} bytes")
    return EXIT_OK
