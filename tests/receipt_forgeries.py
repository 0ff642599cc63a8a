"""Hostile receipts, each made from a real honest receipt plus edits (with the receipt
and proof encoders, not by hand-writing bytes), for the verifier's cost and soundness
tests (tests/test_receipt_hostile.py) and for measuring by hand:

    .venv/bin/python -m tests.receipt_forgeries HONEST.zkr OUT_DIR

writes one .zkr per forgery into OUT_DIR.
"""
from __future__ import annotations

import dataclasses
import sys

import numpy as np

from engine.circuit.machine import build_air
from engine.field.babybear import P
from engine.receipt import ProgramImage, Receipt, encode_receipt, read_receipt
from engine.stark.fri import OpenedRows
from engine.stark.params import ProofParams
from engine.stark.proof import ProofLimits, decode_proof, encode_proof
from engine.stark.protocol import security_centibits, security_report
from engine.stark.shape import proof_shape
from tests import receipt_edits
from tests.receipt_edits import with_segment


def claiming_height(receipt: Receipt, log_height: int, params: ProofParams | None = None
                    ) -> Receipt:
    """The receipt claiming a trace of ``2^log_height`` rows (with ``params``), its seal's
    header edited to agree: the height and the security the verifier computes for it.
    The rest of the seal is the honest small proof's."""
    params = receipt.params if params is None else params
    centibits = security_centibits(security_report(build_air(), params, 1 << log_height))
    proof = decode_proof(receipt.segments[0].seal)
    forged = dataclasses.replace(proof, log_height=log_height, security_centibits=centibits)
    relabelled = dataclasses.replace(receipt, params=params, security_bits=centibits / 100)
    return with_segment(relabelled, 0, log_trace_height=log_height, seal=encode_proof(forged))


def with_code_span(receipt: Receipt, words: int) -> Receipt:
    """The receipt with its embedded image's last code range stretched so that the code
    spans ``words`` words, and the claim's image ID recomputed to match (so the image
    hashes to the image ID and only its size gives it away)."""
    image = receipt.image
    first = image.code_ranges[0][0]
    ranges = image.code_ranges[:-1] + ((image.code_ranges[-1][0], first + 4 * words),)
    stretched = dataclasses.replace(image, code_ranges=ranges)
    return dataclasses.replace(receipt, image=stretched, image_id=stretched.image_id())


def with_words(receipt: Receipt, count: int) -> Receipt:
    """The receipt with ``count`` non-zero data words added to its image (above the
    program, below the stack), the image ID recomputed to match."""
    image = receipt.image
    top = int(image.word_addresses[-1]) + 1 if len(image.word_addresses) else 0x1000
    extra = np.arange(top, top + count, dtype=np.uint32)
    stretched = ProgramImage(image.entry, image.code_ranges, image.heap_start,
                             np.concatenate([image.word_addresses, extra]),
                             np.concatenate([image.word_values,
                                             np.ones(count, dtype=np.uint32)]))
    return dataclasses.replace(receipt, image=stretched, image_id=stretched.image_id())


def with_journal(receipt: Receipt, size: int) -> Receipt:
    """The receipt claiming a journal of ``size`` bytes (its segment ending there, so that
    it decodes)."""
    return receipt_edits.with_journal(receipt, bytes(size))


def counts_at_caps(receipt: Receipt, log_height: int = 20) -> Receipt:
    """The receipt claiming ``2^log_height`` rows with a seal whose every count is at the
    generic decoder's cap (``ProofLimits()``: groups, points, columns, query openings,
    matrices, rows, Merkle nodes, FRI layers, final polynomial length) wherever that
    fits in the decoder's byte limit, on the honest proof's header."""
    caps = ProofLimits()
    base = decode_proof(claiming_height(receipt, log_height).segments[0].seal)
    opened = [np.ones((caps.max_points, 64, 4), dtype=np.uint32)
              for _ in range(caps.max_groups)]
    opened[0] = np.ones((caps.max_points, caps.max_columns, 4), dtype=np.uint32)

    def rows(matrices: int, width: int, nodes: int) -> OpenedRows:
        return OpenedRows(tuple(np.full((caps.max_rows, width), P - 1, dtype=np.uint32)
                                for _ in range(matrices)),
                          np.full((nodes, 32), 0xAB, dtype=np.uint8))

    openings = tuple(rows(caps.max_groups, 1, caps.max_nodes if i == 0 else caps.max_rows)
                     for i in range(caps.max_groups + 1))
    layers = caps.max_fri_layers
    fri = dataclasses.replace(
        base.opening.fri, layer_roots=(bytes(32),) * layers,
        layer_openings=tuple(rows(1, 16, caps.max_rows) for _ in range(layers)),
        final_poly=np.ones((caps.max_final_len, 4), dtype=np.uint32))
    pcs = dataclasses.replace(base.opening, opened_values=tuple(opened),
                              query_openings=openings, fri=fri)
    seal = encode_proof(dataclasses.replace(base, opening=pcs))
    assert len(seal) <= caps.max_bytes, len(seal)
    return with_segment(claiming_height(receipt, log_height), 0, seal=seal)


def honest_shaped(receipt: Receipt, log_height: int = 20) -> Receipt:
    """The receipt claiming ``2^log_height`` rows with a seal of exactly the shape an
    honest proof of that height has (``engine.stark.shape``): it passes every cheap
    check and is rejected only once the preprocessed commitment is recomputed, the
    most a forgery can cost (as much as accepting an honest receipt of that height)."""
    claimed = claiming_height(receipt, log_height)
    proof = decode_proof(claimed.segments[0].seal)
    shape = proof_shape(build_air(), claimed.params, log_height)
    layers = tuple(OpenedRows((np.zeros((min(shape.max_rows, 1 << log_leaves), width),
                                        dtype=np.uint32),),
                              np.zeros((log_leaves, 32), dtype=np.uint8))
                   for width, log_leaves in shape.fri_layers)
    fri = dataclasses.replace(proof.opening.fri, layer_roots=(bytes(32),) * len(layers),
                              layer_openings=layers,
                              final_poly=np.zeros((shape.final_len, 4), dtype=np.uint32))
    forged = dataclasses.replace(proof, opening=dataclasses.replace(proof.opening, fri=fri))
    assert shape.check(forged) is None, shape.check(forged)
    return with_segment(claimed, 0, seal=encode_proof(forged))


def forgeries(receipt: Receipt) -> dict[str, Receipt]:
    """Every hostile receipt above, by name, made from the honest ``receipt``."""
    blowup16 = dataclasses.replace(receipt.params, log_blowup=4)
    return {
        "height_2^22_blowup_16": claiming_height(receipt, 22, blowup16),
        "height_2^20_blowup_16": claiming_height(receipt, 20, blowup16),
        "height_2^20": claiming_height(receipt, 20),
        "code_2^22_words": with_code_span(receipt, 1 << 22),
        "data_2^20_words": with_words(receipt, 1 << 20),
        "journal_16MiB": with_journal(receipt, (16 << 20) - 1),
        "counts_at_caps": counts_at_caps(receipt),
        "honest_shaped_2^20": honest_shaped(receipt, 20),
    }


if __name__ == "__main__":
    honest = read_receipt(sys.argv[1])
    for name, forged in forgeries(honest).items():
        with open(f"{sys.argv[2]}/{name}.zkr", "wb") as f:
            f.write(encode_receipt(forged))
        print(name)
