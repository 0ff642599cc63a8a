"""Saves are atomic; a dropped file is a program, a receipt or neither."""
from __future__ import annotations

import os

import numpy as np
import pytest

from engine.runtime.resources import guest_path
from workbench.model.files import (OTHER, PROGRAM, RECEIPT, atomic_path, classify_drop,
                                   save_trace_npz)
from workbench.model.trace_data import TraceView


def test_a_failed_save_leaves_the_previous_file_untouched(tmp_path):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    target = tmp_path / "keep.npz"
    target.write_bytes(b"previous")

    class Broken:
        columns = {"pc": object()}  # noqa: RUF012

    with pytest.raises(TypeError, match="not integers"):
        save_trace_npz(str(target), Broken())
    assert target.read_bytes() == b"previous"
    assert sorted(os.listdir(tmp_path)) == ["keep.npz"]
    with atomic_path(str(tmp_path / "new.bin")) as temporary, open(temporary, "wb") as f:
        f.write(b"ok")
    assert (tmp_path / "new.bin").read_bytes() == b"ok"


def test_a_trace_saved_as_npz_loads_back_without_pickle_whatever_its_column_names(tmp_path):
    columns = {"pc": np.arange(4, dtype=np.uint32), "program": np.ones(4, dtype=np.uint32)}
    path = tmp_path / "t.npz"
    save_trace_npz(str(path), TraceView.from_columns(columns, columns.values()), b"\x01\x02",
                   "x.elf")
    with np.load(path, allow_pickle=False) as data:
        assert list(data["columns"]) == ["pc", "program"]
        assert data["pc"].tolist() == [0, 1, 2, 3]
        # A column named like a key of the archive's own is kept apart from it.
        assert data["col_program"].tolist() == [1] * 4 and str(data["program"]) == "x.elf"
        assert bytes(data["image_id"]) == b"\x01\x02"


def test_a_drop_is_classified_by_extension_then_by_the_elf_magic(tmp_path):
    assert classify_drop(guest_path("hello")) == PROGRAM
    assert classify_drop(str(tmp_path / "missing.ZKR")) == RECEIPT
    renamed = tmp_path / "guest.bin"
    renamed.write_bytes(open(guest_path("hello"), "rb").read())
    assert classify_drop(str(renamed)) == PROGRAM
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0")
    assert classify_drop(str(photo)) == OTHER
    assert classify_drop(str(tmp_path / "gone.txt")) == OTHER      # unreadable: not a program
