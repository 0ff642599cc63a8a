"""The machine AIR's shipped verifying keys: ``engine/circuit/keys.json``.

The machine AIR's preprocessed columns (byte and range tables, row selectors) depend
on the trace height alone, so their root is a key of (AIR, parameters, height)
(:mod:`engine.stark.keys`). The package ships the roots for the default parameters
(:data:`engine.stark.params.DEFAULT_PARAMS`) at every height from 2^10 to 2^20 in
``keys.json`` next to this module (``engine.circuit.machine.KEY_FILE``), so that a
fresh process verifying even a 2^20-row segment computes nothing of the tables'
size. An entry is used only for the key ID it was made for (the AIR's digest, the
parameters' words, the height): after a circuit or parameter change the file is
stale, the verifier computes the roots instead, and ``tests/circuit/test_keys.py``
fails until it is regenerated with::

    python -m engine.circuit.keys            # rewrites engine/circuit/keys.json
    python -m engine.circuit.keys --check    # exit 1 if an entry is missing or wrong
"""
from __future__ import annotations

import argparse
import sys

from engine.circuit.machine import KEY_FILE, build_air
from engine.stark import keys
from engine.stark.params import DEFAULT_PARAMS

#: The heights whose roots are shipped (log2 of the trace rows).
SHIPPED_LOG_HEIGHTS = tuple(range(10, 21))


def stale_entries(path=KEY_FILE, params=DEFAULT_PARAMS, log_heights=SHIPPED_LOG_HEIGHTS):
    """The heights whose root in the key file at ``path`` is missing or differs from
    the one computed now (each root is recomputed: seconds at 2^20)."""
    air = build_air()
    shipped = keys.read_key_file(path)
    out = []
    for log_height in log_heights:
        computed = keys.computed_root(air, params, log_height)
        if shipped.get(keys.key_id(air, params, log_height)) != computed:
            out.append(log_height)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.circuit.keys",
                                     description="Write (or check) the machine AIR's "
                                     "shipped preprocessed roots.")
    parser.add_argument("--check", action="store_true",
                        help="only check the file: exit 1 if an entry is missing or wrong")
    parser.add_argument("--output", default=str(KEY_FILE), help="the key file")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_entries(args.output)
        if stale:
            print(f"{args.output}: missing or wrong at 2^{', 2^'.join(map(str, stale))}")
            return 1
        print(f"{args.output}: every shipped root matches")
        return 0
    document = keys.write_key_file(args.output, build_air(), DEFAULT_PARAMS,
                                   SHIPPED_LOG_HEIGHTS)
    print(f"{args.output}: {len(document['entries'])} roots")
    return 0


if __name__ == "__main__":
    sys.exit(main())
