"""``zkwb ml``: model commitments, the digit guests' private input, and what a digit
classifier's receipt proves (docs/ml.md)."""
from __future__ import annotations

import sys

from engine.cli.common import EXIT_INVALID, EXIT_OK, natural_int, print_json, usage
from engine.cli.receipts import add_verifying_command, policy_of, verified
from engine.errors import InputError


def add_commands(sub) -> None:
    """``zkwb ml ...``: the model commitment and private input of the digit guests."""
    group = sub.add_parser("ml", help="private inference: model commitments and guest inputs",
                           description="Helpers for the digit classifier guests "
                                       "(digits_mlp.elf, digits_forest.elf); see docs/ml.md.")
    group.set_defaults(run=lambda args: usage(group))
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
    source.add_argument("--digit", type=natural_int, metavar="N",
                        help="image N of the bundled digits data set instead of a file")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="where to write the private input (- for stdout)")
    p.add_argument("--ink", choices=("auto", "light", "dark"), default="auto",
                   help="PNG only: light strokes on dark, dark strokes on light, or guess (default)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=_cmd_ml_input)

    add_verifying_command(ml, "explain",
                          "verify a digit classifier's receipt and say what it proves",
                          _cmd_ml_explain)


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


def _cmd_ml_explain(args) -> int:
    from engine.ml.claim import decode_journal, digit_guest_image_ids
    from engine.receipt import read_receipt
    from engine.runtime.resources import guest_path
    from engine.vm import load_elf

    policy = policy_of(args.allow_params)
    receipt = read_receipt(args.receipt)
    program = name = None
    if args.elf is None and args.image_id is None:
        # Unpinned, only the bundled classifiers: any guest can write a journal that
        # reads as a classification.
        bundled = digit_guest_image_ids()
        name = bundled.get(receipt.image_id)
        if name is None:
            known = ", ".join(f"{n} ({i.hex()})" for i, n in bundled.items())
            reason = (f"the receipt is for image {receipt.image_id.hex()}, which is not one "
                      f"of the bundled digit classifiers ({known}); to explain a receipt of "
                      "another program, give that program with --elf")
            if args.json:
                print_json({"valid": False, "reason": reason,
                            "image_id": receipt.image_id.hex()})
            else:
                print(f"REFUSED: {reason}", file=sys.stderr)
            return EXIT_INVALID
        program = load_elf(guest_path(name))
    result, _, _ = verified(args, receipt=receipt, program=program, policy=policy)
    if not result.valid:
        if args.json:
            print_json({"valid": False, "reason": result.reason})
        else:
            print(f"INVALID: {result.reason}", file=sys.stderr)
        return EXIT_INVALID
    claim = decode_journal(result.journal)
    if args.json:
        print_json({"valid": True, "image_id": result.image_id.hex(), **claim.to_json()})
    else:
        print(f"valid receipt for program {result.image_id.hex()}"
              + (f" ({name}, bundled)" if name else " (the program you gave)"))
        print(claim.summary())
        print("scores: " + " ".join(f"{k}:{v}" for k, v in enumerate(claim.scores)))
    return EXIT_OK
