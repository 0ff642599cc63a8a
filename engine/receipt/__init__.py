"""Receipts: the claim, the proof parameters, the program image and one seal per
segment of the run.

``claim`` holds the data model (:class:`Receipt`, :class:`SegmentSeal`), ``image`` the
embedded :class:`ProgramImage`, ``format`` the file format (``docs/receipt-format.md``):
:func:`encode_receipt`, :func:`decode_receipt` (untrusted input: bounded, never
unpickled), :func:`read_receipt`, :func:`write_receipt`.
"""
from __future__ import annotations

from engine.receipt.claim import Receipt, SegmentSeal
from engine.receipt.format import (FORMAT_VERSION, MAGIC, MAX_IMAGE_WORDS,
                                   MAX_LOG_TRACE_HEIGHT, MAX_RECEIPT_BYTES,
                                   MAX_RECEIPT_SEGMENTS, MAX_SEAL_BYTES, SEGMENT_HEADER_BYTES,
                                   TAG_CLAIM, TAG_IMAGE, TAG_PARAMS, TAG_SEGMENTS, ReceiptError,
                                   decode_receipt, encode_receipt, read_receipt, write_receipt)
from engine.receipt.image import ProgramImage

__all__ = ["FORMAT_VERSION", "MAGIC", "MAX_IMAGE_WORDS", "MAX_LOG_TRACE_HEIGHT",
           "MAX_RECEIPT_BYTES", "MAX_RECEIPT_SEGMENTS", "MAX_SEAL_BYTES",
           "SEGMENT_HEADER_BYTES", "TAG_CLAIM", "TAG_IMAGE", "TAG_PARAMS", "TAG_SEGMENTS",
           "ProgramImage", "Receipt", "ReceiptError", "SegmentSeal", "decode_receipt",
           "encode_receipt", "read_receipt", "write_receipt"]
