"""``zkwb ml commit`` and ``zkwb ml input``."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import numpy as np
import pytest

from engine.cli import main
from engine.ml.interface import image_bytes
from engine.vm import execute
from tests.cli_verdicts import json_verdict, printed_verdict
from tests.ml.conftest import model_path
from tests.ml.png_writer import write_png
from tests.rejection import assert_rejected


@pytest.mark.parametrize("kind", ["mlp", "forest"])
def test_commit_prints_the_sha256_of_the_model_file(capsys, kind):
    path = model_path(kind)
    with open(path, "rb") as f:
        expected = hashlib.sha256(f.read()).hexdigest()
    assert main(["ml", "commit", path]) == 0
    assert capsys.readouterr().out == expected + "\n"


def test_commit_json_names_the_kind_and_size(capsys):
    assert main(["ml", "commit", model_path("forest"), "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    with open(model_path("forest"), "rb") as f:
        blob = f.read()
    assert obj == {"commitment": hashlib.sha256(blob).hexdigest(), "model": model_path("forest"),
                   "kind": "forest", "bytes": len(blob)}


def test_commit_refuses_a_file_that_is_not_a_model(tmp_path, capsys):
    bad = tmp_path / "notes.bin"
    bad.write_bytes(b"hello, world")
    assert main(["ml", "commit", str(bad)]) == 2
    assert "not a zkwb model blob" in capsys.readouterr().err
    assert main(["ml", "commit", str(tmp_path / "missing.bin"), "--json"]) == 2
    assert "no such file" in json.loads(capsys.readouterr().out)["error"]


def test_input_is_the_model_blob_then_the_image(tmp_path, programs, digits):
    image = digits.images[7]
    raw = tmp_path / "seven.raw"
    raw.write_bytes(image.tobytes())
    out = tmp_path / "input.bin"
    assert main(["ml", "input", model_path("mlp"), str(raw), "-o", str(out)]) == 0
    with open(model_path("mlp"), "rb") as f:
        blob = f.read()
    assert out.read_bytes() == blob + image.tobytes()
    result = execute(programs["mlp"], out.read_bytes())
    assert result.exit_code == 0 and result.journal[96] == digits.labels[7]


def test_input_from_a_png_drawing_and_a_npy_array(tmp_path):
    paper = np.full((32, 32), 255)
    paper[4:28, 14:18] = 0                        # a dark "1" on white paper
    png, npy = tmp_path / "one.png", tmp_path / "one.npy"
    png.write_bytes(write_png(paper, 0, 8))
    np.save(npy, np.arange(64).reshape(8, 8) % 17)
    tails = {}
    for name, args in (("auto", [str(png)]), ("light", [str(png), "--ink", "light"]),
                       ("npy", [str(npy)])):
        out = tmp_path / f"{name}.bin"
        assert main(["ml", "input", model_path("forest"), *args, "-o", str(out)]) == 0
        tails[name] = np.frombuffer(out.read_bytes()[-64:], np.uint8).reshape(8, 8)
    assert tails["auto"][1:7, 3:5].min() > 0 and tails["auto"][:, :3].max() == 0
    assert tails["light"][:, :3].min() == 16      # read as light ink, the paper is all ink
    assert tails["npy"].reshape(-1).tobytes() == image_bytes(np.arange(64) % 17)


def test_input_with_a_digit_of_the_data_set_reports_its_label(tmp_path, capsys, digits):
    out = tmp_path / "input.bin"
    assert main(["ml", "input", model_path("mlp"), "--digit", "1000", "-o", str(out), "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["label"] == digits.labels[1000]
    assert obj["kind"] == "mlp" and obj["bytes"] == out.stat().st_size
    assert np.array(obj["image"]).reshape(-1).tolist() == digits.images[1000].tolist()
    assert out.read_bytes()[-64:] == digits.images[1000].tobytes()


def test_input_to_stdout(digits):
    out = subprocess.run([sys.executable, "-m", "engine", "ml", "input", model_path("mlp"),
                          "--digit", "3", "-o", "-"], capture_output=True, timeout=120,
                         check=False)
    assert out.returncode == 0, out.stderr
    with open(model_path("mlp"), "rb") as f:
        assert out.stdout == f.read() + digits.images[3].tobytes()
    assert b"wrote" in out.stderr


@pytest.mark.parametrize("args, message", [
    (["--digit", "1797"], "below"),
    (["IMAGE"], "pixel 0 is 200"),
])
def test_input_refuses_bad_images_with_exit_code_2(tmp_path, capsys, args, message):
    bad = tmp_path / "bad.raw"
    bad.write_bytes(bytes([200] * 64))
    args = [str(bad) if a == "IMAGE" else a for a in args]
    out = tmp_path / "input.bin"
    assert main(["ml", "input", model_path("mlp"), *args, "-o", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_input_refuses_a_bad_model(tmp_path, capsys, digits):
    model = tmp_path / "model.bin"
    with open(model_path("mlp"), "rb") as f:
        model.write_bytes(f.read()[:-1])
    assert main(["ml", "input", str(model), "--digit", "0", "-o", str(tmp_path / "x")]) == 2
    assert "truncated" in capsys.readouterr().err


def test_input_needs_exactly_one_image_source(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["ml", "input", model_path("mlp"), "-o", "x"])
    assert exit_.value.code == 2
    with pytest.raises(SystemExit):
        main(["ml", "input", model_path("mlp"), "img.raw", "--digit", "1", "-o", "x"])


def test_ml_without_a_subcommand_prints_usage(capsys):
    assert main(["ml"]) == 2
    assert "commit" in capsys.readouterr().err


# --- zkwb ml explain: only the bundled classifiers, or the program the caller names -------

def _claim_writer(tmp_path) -> str:
    """A 30-instruction guest that only writes a well-formed digit claim ("model ...
    classified the image as 1") to its journal, and its ELF's path."""
    import struct

    from tests.vm.asm import DATA_BASE, Asm
    scores = [0, 9, 0, 0, 0, 0, 0, 0, 0, 0]
    journal = bytes(32) + bytes([16] * 64) + bytes([1]) + struct.pack("<10i", *scores)
    prog = Asm()
    prog.data += journal
    prog.syscall(64, 1, DATA_BASE, len(journal))
    prog.exit(code=0)
    path = tmp_path / "claims.elf"
    path.write_bytes(prog.elf())
    return str(path)


@pytest.fixture(scope="module")
def foreign_receipts(tmp_path_factory):
    """name -> (receipt path, ELF path) for hello.elf and the claim writer."""
    from engine.api import prove
    from engine.receipt import write_receipt
    from engine.runtime.resources import guest_path
    from engine.vm import load_elf
    folder = tmp_path_factory.mktemp("explain")
    out = {}
    for name, elf in (("hello", guest_path("hello")), ("claims", _claim_writer(folder))):
        path = folder / f"{name}.zkr"
        write_receipt(path, prove(load_elf(elf), b"1").receipt)
        out[name] = (str(path), elf)
    return out


def _bundled_ids() -> list[str]:
    from engine.runtime.resources import guest_path
    from engine.vm import load_elf
    return [load_elf(guest_path(name)).image_id_hex for name in ("digits_mlp", "digits_forest")]


@pytest.mark.parametrize("name", ["hello", "claims"])
def test_explain_refuses_a_receipt_of_another_guest(foreign_receipts, capsys, name):
    from engine.vm import load_elf
    receipt, elf = foreign_receipts[name]
    image = load_elf(elf).image_id_hex
    assert main(["ml", "explain", receipt]) == 1
    err = capsys.readouterr().err
    assert "not one of the bundled digit classifiers" in err and image in err
    assert all(bundled in err for bundled in _bundled_ids())
    assert "classified" not in err
    assert main(["ml", "explain", receipt, "--json"]) == 1
    out = capsys.readouterr().out
    assert_rejected(json_verdict(out), "not one of the bundled digit classifiers")
    obj = json.loads(out)
    assert obj["image_id"] == image and "class" not in obj


def test_explain_trusts_a_program_the_caller_names(foreign_receipts, capsys):
    receipt, elf = foreign_receipts["claims"]
    assert main(["ml", "explain", receipt, "--elf", elf, "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["valid"] is True and obj["class"] == 1
    # and a receipt of it does not pass for a bundled classifier
    from engine.runtime.resources import guest_path
    assert main(["ml", "explain", receipt, "--elf", guest_path("digits_mlp")]) == 1
    assert_rejected(printed_verdict(capsys.readouterr().err), "not the expected")
    hello, hello_elf = foreign_receipts["hello"]
    assert main(["ml", "explain", hello, "--elf", hello_elf]) == 2   # its journal is no claim
    assert "another kind of guest" in capsys.readouterr().err


def test_explain_takes_the_verifiers_parameter_policy(foreign_receipts, capsys):
    receipt, _ = foreign_receipts["hello"]
    assert main(["ml", "explain", receipt, "--allow-params", "zk=maybe"]) == 2
    assert "--allow-params" in capsys.readouterr().err
