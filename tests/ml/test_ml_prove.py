"""One inference of each model proved, verified, and explained from its receipt."""
from __future__ import annotations

import hashlib
import json

import pytest

from engine.api import prove, verify
from engine.cli import main
from engine.ml.claim import decode_journal
from engine.ml.interface import image_bytes
from engine.receipt import write_receipt
from engine.runtime.resources import guest_path
from engine.vm import load_elf
from tests.ml.conftest import model_path


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["mlp", "forest"])
def test_an_inference_is_proved_verified_and_explained(kind, digits, tmp_path, capsys):
    blob = open(model_path(kind), "rb").read()
    images = digits.images
    program = load_elf(guest_path(f"digits_{kind}"))
    result = prove(program, blob + image_bytes(images[0]))
    assert verify(result.receipt, program=program).valid
    claim = decode_journal(result.receipt.journal)
    assert claim.model_digest == hashlib.sha256(blob).digest()
    assert bytes(claim.image.reshape(-1)) == image_bytes(images[0])
    receipt_path = tmp_path / "inference.zkr"
    write_receipt(receipt_path, result.receipt)
    capsys.readouterr()
    assert main(["ml", "explain", str(receipt_path), "--elf", guest_path(f"digits_{kind}"),
                 "--json"]) == 0
    explained = json.loads(capsys.readouterr().out)
    assert explained["valid"] is True
    assert explained["class"] == claim.predicted_class
    assert explained["model_digest"] == hashlib.sha256(blob).hexdigest()
    # a bundled classifier's receipt is explained without --elf too (pinned to the
    # bundled ELF's image ID)
    assert main(["ml", "explain", str(receipt_path)]) == 0
    assert f"digits_{kind}, bundled" in capsys.readouterr().out
    # the model stays private: not one 16-byte window of the blob is in the receipt
    encoded = receipt_path.read_bytes()
    assert not any(blob[i:i + 16] in encoded for i in range(0, len(blob) - 16, 4))
