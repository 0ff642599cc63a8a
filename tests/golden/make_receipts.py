"""Regenerate the golden machine-AIR receipts: ``python -m tests.golden.make_receipts``.

Only when the circuit, the protocol or the receipt format changes on purpose (bump
``CIRCUIT_VERSION``, ``FORMAT_VERSION`` or the protocol tags, and say so in the
changelog of docs/receipt-format.md); ``tests/test_golden_receipts.py`` reads them.
"""
from __future__ import annotations

import os

from engine import load_elf, prove
from engine.receipt import write_receipt

HERE = os.path.dirname(os.path.abspath(__file__))
GUESTS = os.path.join(HERE, "..", "..", "resources", "guests")

#: name -> (guest, private input, the journal and exit code it must claim). fibonacci
#: reads its input with zkwb_read_all (read, brk through malloc) and writes the journal.
GOLDEN = {
    "fibonacci-25": ("fibonacci.elf", b"25", b"75025\n", 0),
}


def receipt_path(name: str) -> str:
    return os.path.join(HERE, f"{name}.zkr")


def guest_path(name: str) -> str:
    return os.path.join(GUESTS, GOLDEN[name][0])


def main() -> None:
    for name, (guest, data, journal, exit_code) in GOLDEN.items():
        result = prove(load_elf(guest_path(name)), data)
        receipt = result.receipt
        if (receipt.journal, receipt.exit_code) != (journal, exit_code):
            raise SystemExit(f"{guest} on {data!r} claimed {receipt.journal!r}, exit code "
                             f"{receipt.exit_code}: not the expected claim")
        write_receipt(receipt_path(name), receipt)
        print(f"{receipt_path(name)}: {os.path.getsize(receipt_path(name)):,} bytes")


if __name__ == "__main__":
    main()
