"""zkwb prove / verify / inspect: the documented outputs and exit codes."""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json

import pytest

from engine.cli import main
from engine.receipt import encode_receipt, read_receipt
from engine.runtime.resources import guest_path
from engine.vm import load_elf
from tests.cli_verdicts import json_verdict, printed_verdict
from tests.rejection import assert_rejected

INPUT = b"the quick brown fox"


@functools.cache
def _proved(tmp_dir: str, detached: bool) -> str:
    path = f"{tmp_dir}/{'detached' if detached else 'full'}.zkr"
    args = ["prove", guest_path("sha256"), "--input", f"{tmp_dir}/input.bin", "-o", path]
    assert main(args + (["--detached"] if detached else [])) == 0
    return path


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    (d / "input.bin").write_bytes(INPUT)
    return str(d)


def test_prove_then_verify_prints_the_digest(workdir, capsys):
    receipt = _proved(workdir, False)
    capsys.readouterr()
    assert main(["verify", receipt, "--elf", guest_path("sha256")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("valid")
    assert hashlib.sha256(INPUT).hexdigest() in out


def test_prove_json_has_the_documented_fields(workdir, capsys):
    path = f"{workdir}/json.zkr"
    assert main(["prove", guest_path("hello"), "--input", f"{workdir}/input.bin", "-o", path,
                 "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    for key in ("receipt", "bytes", "exit_code", "cycles", "trace_rows", "seconds", "khz",
                "security_bits"):
        assert key in obj
    assert obj["security_bits"] >= 100
    assert bytes.fromhex(obj["journal_hex"]) == INPUT


def test_verify_json_and_image_id_pin(workdir, capsys):
    receipt = _proved(workdir, False)
    image_id = load_elf(guest_path("sha256")).image_id_hex
    assert main(["verify", receipt, "--image-id", image_id, "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["valid"] is True and obj["image_id"] == image_id and obj["reason"] is None
    for key in ("journal_hex", "exit_code", "security_bits", "seconds"):
        assert key in obj


def test_verify_against_another_program_is_invalid(workdir, capsys):
    receipt = _proved(workdir, False)
    other = load_elf(guest_path("hello")).image_id_hex
    assert main(["verify", receipt, "--elf", guest_path("hello")]) == 1
    assert_rejected(printed_verdict(capsys.readouterr().err), f"not the expected {other}")
    assert main(["verify", receipt, "--image-id", other, "--json"]) == 1
    assert_rejected(json_verdict(capsys.readouterr().out), f"not the expected {other}")


@pytest.mark.parametrize("change", [
    lambda r: {"journal": r.journal[:-2] + b"0\n"},
    lambda r: {"exit_code": 1},
])
def test_edited_claims_are_invalid(workdir, tmp_path, capsys, change):
    receipt = read_receipt(_proved(workdir, False))
    edited = dataclasses.replace(receipt, **change(receipt))
    path = tmp_path / "edited.zkr"
    path.write_bytes(encode_receipt(edited))
    assert main(["verify", str(path)]) == 1
    # the journal and exit code are in the transcripts: the global grinding fails (or,
    # once in 2^16 edits, the segment's LogUp grinding)
    assert_rejected(printed_verdict(capsys.readouterr().err),
                    "global proof of work does not pass", "the LogUp proof of work is invalid")


def test_detached_receipt_needs_the_program(workdir, capsys):
    receipt = _proved(workdir, True)
    assert main(["verify", receipt]) == 1
    assert_rejected(printed_verdict(capsys.readouterr().err), "the receipt is detached")
    assert main(["verify", receipt, "--elf", guest_path("sha256")]) == 0


def test_inspect_shows_the_claim_without_verifying(workdir, capsys):
    receipt = _proved(workdir, False)
    capsys.readouterr()
    assert main(["inspect", receipt, "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["journal_text"].strip() == hashlib.sha256(INPUT).hexdigest()
    assert obj["image_matches_id"] is True and obj["detached"] is False


def test_inspect_lists_the_segments(tmp_path, capsys):
    from engine.receipt import ProgramImage, Receipt, SegmentSeal, write_receipt
    from engine.stark.params import ProofParams
    program = load_elf(guest_path("hello"))
    segments = (SegmentSeal(10, 2, b"a" * 300), SegmentSeal(12, 2, b"b" * 70_000),
                SegmentSeal(11, 5, b"c"))
    path = tmp_path / "three.zkr"
    write_receipt(path, Receipt(image_id=program.image_id, exit_code=0, journal=b"hello",
                                params=ProofParams(), security_bits=101.0,
                                image=ProgramImage.from_program(program), segments=segments))
    assert main(["inspect", str(path), "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    # The rows of all segments, as verify's and prove's trace_rows.
    assert obj["segment_count"] == 3 and obj["trace_rows"] == 1024 + 4096 + 2048
    assert obj["seal_bytes"] == 70_301
    assert obj["segments"] == [
        {"index": 0, "log_trace_height": 10, "trace_rows": 1024, "journal_end": 2,
         "seal_bytes": 300},
        {"index": 1, "log_trace_height": 12, "trace_rows": 4096, "journal_end": 2,
         "seal_bytes": 70_000},
        {"index": 2, "log_trace_height": 11, "trace_rows": 2048, "journal_end": 5,
         "seal_bytes": 1}]
    assert main(["inspect", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("segments"))
    rows = [line.split() for line in lines[at + 1:]]
    assert rows == [["0", "2^10", "rows", "journal", "end", "2", "seal", "300", "bytes"],
                    ["1", "2^12", "rows", "journal", "end", "2", "seal", "70,000", "bytes"],
                    ["2", "2^11", "rows", "journal", "end", "5", "seal", "1", "bytes"]]


@pytest.mark.parametrize("content", [b"", b"garbage", b"ZKWB-RCT\x01\x00", None])
def test_garbage_receipts_exit_2_with_a_message(tmp_path, capsys, content):
    path = tmp_path / "bad.zkr"
    if content is not None:
        path.write_bytes(content)
    assert main(["verify", str(path)]) == 2
    assert "zkwb:" in capsys.readouterr().err


def test_bad_image_id_is_a_usage_error(workdir, capsys):
    assert main(["verify", _proved(workdir, False), "--image-id", "xyz"]) == 2


@pytest.mark.parametrize("rows", ["1000", "512", "2^21", "many"])
def test_prove_refuses_an_unsupported_segment_size_before_running(tmp_path, capsys, rows):
    out = tmp_path / "never.zkr"
    assert main(["prove", guest_path("fibonacci"), "-o", str(out), "--segment-rows", rows]) == 2
    assert "--segment-rows" in capsys.readouterr().err
    assert not out.exists()


def test_prove_of_a_faulting_guest_exits_3_and_writes_nothing(tmp_path, capsys):
    from tests.vm.asm import Asm
    prog = Asm()
    prog.emit(0)
    elf = tmp_path / "fault.elf"
    elf.write_bytes(prog.elf())
    out = tmp_path / "never.zkr"
    assert main(["prove", str(elf), "-o", str(out)]) == 3
    assert "illegal instruction" in capsys.readouterr().err
    assert not out.exists()


# --- what a verdict means: pinned or not; which parameters ----------------------------------

def test_unpinned_verify_says_it_checked_only_the_program_it_carries(workdir, capsys):
    receipt = _proved(workdir, False)
    image = load_elf(guest_path("sha256")).image_id_hex
    capsys.readouterr()
    assert main(["verify", receipt, "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["pinned"] is False
    assert "checked only against the program the receipt carries" in captured.err
    assert image in captured.err
    assert main(["verify", receipt]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("valid")
    assert "checked only against the program the receipt carries" in captured.err


@pytest.mark.parametrize("pin", ["--elf", "--image-id"])
def test_pinned_verify_says_so_and_adds_no_note(workdir, capsys, pin):
    receipt = _proved(workdir, False)
    value = (guest_path("sha256") if pin == "--elf"
             else load_elf(guest_path("sha256")).image_id_hex)
    capsys.readouterr()
    assert main(["verify", receipt, pin, value, "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["pinned"] is True
    assert "checked only" not in captured.err


WEAK_SPEC = ("log_blowup=4,num_queries=20,query_pow_bits=0,logup_pow_bits=0,zk=false,"
             "fri_log_arity=2,fri_log_final_len=3")


@pytest.fixture(scope="module")
def weak_receipt(tmp_path_factory):
    """fibonacci.elf proved with 20 queries at blowup 16, no zk, no grinding (80 bits)."""
    from engine.api import prove
    from engine.policy import parse_params_spec
    from engine.receipt import write_receipt
    path = tmp_path_factory.mktemp("weak") / "weak.zkr"
    result = prove(load_elf(guest_path("fibonacci")), params=parse_params_spec(WEAK_SPEC),
                   check=False)
    write_receipt(path, result.receipt)
    return str(path)


def test_weak_parameters_are_refused_unless_allowed(weak_receipt, capsys):
    assert main(["verify", weak_receipt]) == 1
    reason = assert_rejected(printed_verdict(capsys.readouterr().err),
                             "are not accepted by this verifier's policy")
    assert "--allow-params log_blowup=4" in reason
    assert main(["verify", weak_receipt, "--allow-params", WEAK_SPEC, "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["valid"] is True and obj["security_bits"] == 80.0
    # the spec printed in the reason is accepted as it is; several specs may be given
    assert main(["verify", weak_receipt, "--allow-params", "zk=false", "--allow-params",
                 "log_blowup=4,num_queries=20,query_pow_bits=0,logup_pow_bits=0,zk=false",
                 "--elf", guest_path("fibonacci")]) == 0
    assert capsys.readouterr().out.startswith("valid")


@pytest.mark.parametrize("spec, message", [
    ("log_blowup=banana", "whole number"), ("blowup=4", "unknown parameter"),
    ("zk=perhaps", "true or false"), ("", "empty"), ("num_queries=5000", "outside"),
])
def test_a_malformed_allow_params_is_a_usage_error(workdir, capsys, spec, message):
    assert main(["verify", _proved(workdir, False), "--allow-params", spec]) == 2
    err = capsys.readouterr().err
    assert "--allow-params" in err and message in err
