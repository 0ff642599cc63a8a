"""Fixtures shared by the machine-learning tests: the bundled data set, models and guests."""
from __future__ import annotations

import os

import pytest

from engine.ml.dataset import load_digits, models_dir
from engine.ml.interface import read_model
from engine.runtime.resources import guest_path
from engine.vm import load_elf

GUESTS = {"mlp": "digits_mlp", "forest": "digits_forest"}


def model_path(kind: str) -> str:
    return os.path.join(models_dir(), f"{GUESTS[kind]}.bin")


@pytest.fixture(scope="session")
def digits():
    return load_digits()


@pytest.fixture(scope="session")
def models():
    """kind -> (blob bytes, decoded model) for the bundled models."""
    return {kind: read_model(model_path(kind)) for kind in GUESTS}


@pytest.fixture(scope="session")
def programs():
    """kind -> the loaded guest program."""
    return {kind: load_elf(guest_path(name)) for kind, name in GUESTS.items()}
