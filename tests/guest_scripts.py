"""Inputs for the guests that tests of long runs and continuations need.

``BoundaryScript`` builds the private input of ``resources/guests/boundary.elf``, a
guest that runs a little program of commands (spin, store, load, read, write, set a
register, exit; the format is in ``resources/guests/src/boundary.c``), and computes
the trace row of every event from the guest's documented row costs, so that a test
can put an event exactly at a segment boundary::

    script = BoundaryScript()
    script.store(buffer_address(0), 0xCAFE, at=SEGMENT - 1)   # the sw is the last row
    script.load_commit(buffer_address(0), at=SEGMENT + 5)
    script.set_reg(0, 7, at=2 * SEGMENT - 1)
    script.commit_reg(0)
    script.exit(3, at=3 * SEGMENT)                            # the exit's ecall row
    run = script.build()
    execute(load_elf(BOUNDARY_ELF), run.input)  # .cycles == run.cycles,
                                                # .journal == run.journal

``at=`` puts a SPIN in front of the command, so the target row must be at least
``SPIN_ROWS`` rows past the end of the previous command (``ValueError`` otherwise).
``tests/vm/test_long_guests.py`` checks every cost against ``engine.execute`` and
the recorded trace.

The long-run builders (``bigsort_input``, ``compress_input``, ``primes_input``,
``wide_mlp_input``) give the inputs whose cycle counts that test records
(``LONG_RUN_CYCLES`` there), so that a test can pick a run of a given length.
``primes_input`` is ``engine.runtime.resources``'s, imported here: ``zkwb bench``
builds that input too.
"""
from __future__ import annotations

import functools
import itertools
import random
import struct
from dataclasses import dataclass, field

import numpy as np
from elftools.elf.elffile import ELFFile

from engine.ml.blob import CLASS_COUNT, INPUT_SIZE, DenseLayer, MlpModel, encode_model
from engine.runtime.resources import primes_input  # noqa: F401 - one of the builders
from tests.vm.qemu import GUESTS_DIR

BOUNDARY_ELF = GUESTS_DIR / "boundary.elf"

# -- the boundary guest's format and row costs (resources/guests/src/boundary.c)

MAGIC = 0x53424B5A  # "ZKBS"
MAX_COMMANDS = 4096
BUFFER_BYTES = 65536
SCRIPT_REGISTERS = 8  # SET_REG/COMMIT_REG r use x(20 + r)
FIRST_SCRIPT_REGISTER = 20

OP_SPIN, OP_STORE, OP_STORE_BYTE, OP_LOAD_COMMIT, OP_READ, OP_WRITE, OP_BRK, OP_EXIT = range(1, 9)
OP_SET_REG, OP_COMMIT_REG = 16, 24

#: Rows before the first command, less the 3 words per command of the script read.
START_ROWS = 72
#: Rows of a run whose script has no command (the script read copies nothing).
EMPTY_SCRIPT_ROWS = 72
#: Rows every command spends in the dispatch loop before its handler.
DISPATCH_ROWS = 11
#: SPIN n takes SPIN_ROWS + n rows: the least an ``at=`` can move a command.
SPIN_ROWS = 16
#: After the last command: the dispatch's branch, then an exit(0) in the fourth row.
END_ROWS = 4

# Per command: (rows from the command's start to its event row, rows of the ecall of
# its syscall from the start or None, fixed rows in all). READ and WRITE add the words
# they copy; READ's cost also depends on how much input is left (_read_exact_rows).
_COSTS = {
    "spin": (11, None, SPIN_ROWS),
    "store": (11, None, 13),
    "store_byte": (11, None, 13),
    "set_reg": (11, None, 13),
    "load_commit": (11, 17, 22),
    "commit_reg": (11, 18, 23),
    "write": (13, 13, 17),
    "read": (15, 15, 13),
    "brk": (13, 13, 15),
    "exit": (13, 13, 14),
}


def words_touched(address: int, size: int) -> int:
    """How many memory words the bytes ``[address, address + size)`` touch: the rows a
    ``read`` or ``write`` syscall spends copying them (0 for ``size == 0``)."""
    return 0 if size == 0 else ((address + size - 1) >> 2) - (address >> 2) + 1


def _read_exact_rows(address: int, size: int, left: int) -> int:
    """Rows of the guest's read loop for ``size`` bytes with ``left`` bytes of input left."""
    got = min(size, left)
    if got == 0:
        return 8
    return (12 if got == size else 17) + words_touched(address, got)


@dataclass(frozen=True)
class Event:
    """One command as it ran: ``start`` is its first row (the dispatch), ``row`` the
    row of its effect (the store, the register write, the load, the register read of
    COMMIT_REG, the first ecall of READ/WRITE/BRK/EXIT), ``ecall`` the row of its
    syscall's ecall (None without one), ``end`` one past its last row. A read or write
    syscall occupies ``ecall`` .. ``ecall + 1 + words``."""
    index: int
    name: str
    start: int
    row: int
    end: int
    ecall: int | None = None
    words: int = 0


@dataclass(frozen=True)
class BoundaryRun:
    """A built script: the private ``input`` and what running it does. ``cycles`` is
    the run's row count; ``journal`` assumes that memory the script never wrote reads
    as zero (true of ``boundary_buffer`` and the heap, not of code or data)."""
    input: bytes
    events: tuple[Event, ...]
    cycles: int
    journal: bytes
    exit_code: int

    def event(self, index: int) -> Event:
        """The event of command ``index`` (counting the SPINs that ``at=`` inserted)."""
        return self.events[index]

    def last(self, name: str) -> Event:
        """The last event of a command named ``name`` (``"exit"``, ``"store"``, ...)."""
        return next(e for e in reversed(self.events) if e.name == name)


@dataclass
class _Command:
    name: str
    op: int
    arg0: int
    arg1: int
    at: int | None


@dataclass
class BoundaryScript:
    """A program for the boundary guest, built command by command (see the module)."""
    _commands: list[_Command] = field(default_factory=list)
    _data: bytearray = field(default_factory=bytearray)

    def spin(self, rows: int) -> BoundaryScript:
        """A command that takes exactly ``SPIN_ROWS + rows`` rows."""
        return self._add("spin", OP_SPIN, rows, 0, None)

    def store(self, address: int, value: int, at: int | None = None) -> BoundaryScript:
        """``sw value, 0(address)``; ``at`` is the row of the sw."""
        return self._add("store", OP_STORE, address, value, at)

    def store_byte(self, address: int, value: int, at: int | None = None) -> BoundaryScript:
        """``sb value, 0(address)``; ``at`` is the row of the sb."""
        return self._add("store_byte", OP_STORE_BYTE, address, value & 0xFF, at)

    def load_commit(self, address: int, at: int | None = None) -> BoundaryScript:
        """Loads the word at ``address`` and appends its 4 bytes to the journal; ``at``
        is the row of the lw."""
        return self._add("load_commit", OP_LOAD_COMMIT, address, 0, at)

    def read(self, address: int, size: int, data: bytes | None = None,
             at: int | None = None) -> BoundaryScript:
        """Reads up to ``size`` bytes of the remaining input to ``address``, and appends
        ``data`` (by default ``size`` deterministic bytes) to the input's data. The
        reads consume the data in order, so ``data`` shorter than ``size`` makes a short
        read only at the end. ``at`` is the row of the first read's ecall."""
        if data is None:
            data = random.Random(len(self._data)).randbytes(size)
        self._data += data
        return self._add("read", OP_READ, address, size, at)

    def append_input(self, data: bytes) -> BoundaryScript:
        """Appends ``data`` to the input without a command (for reads that get more
        than their own data)."""
        self._data += data
        return self

    def write(self, address: int, size: int, at: int | None = None) -> BoundaryScript:
        """One ``write(1, address, size)``: ``size`` journal bytes from memory; ``at`` is
        the row of its ecall."""
        return self._add("write", OP_WRITE, address, size, at)

    def brk(self, address: int, at: int | None = None) -> BoundaryScript:
        """``brk(address)``: under qemu the heap is mapped only below the break."""
        return self._add("brk", OP_BRK, address, 0, at)

    def set_reg(self, register: int, value: int, at: int | None = None) -> BoundaryScript:
        """``x(20 + register) = value``; the interpreter never touches x20..x27 again."""
        return self._add("set_reg", OP_SET_REG + _script_register(register), 0, value, at)

    def commit_reg(self, register: int, at: int | None = None) -> BoundaryScript:
        """Appends the 4 bytes of ``x(20 + register)`` to the journal; ``at`` is the row
        that reads the register."""
        return self._add("commit_reg", OP_COMMIT_REG + _script_register(register), 0, 0, at)

    def exit(self, code: int, at: int | None = None) -> BoundaryScript:
        """exit(code); ``at`` is the row of its ecall, the last row of the run."""
        return self._add("exit", OP_EXIT, code, 0, at)

    def build(self) -> BoundaryRun:
        """The input and the predicted run. Raises ``ValueError`` for an ``at`` that
        is too early, or more than ``MAX_COMMANDS`` commands."""
        count = len(self._commands) + sum(c.at is not None for c in self._commands)
        if count > MAX_COMMANDS:
            raise ValueError(f"{count} commands; the guest runs at most {MAX_COMMANDS}")
        if count == 0:
            return BoundaryRun(struct.pack("<II", MAGIC, 0) + bytes(self._data), (),
                               EMPTY_SCRIPT_ROWS, b"", 0)
        model = _Model(bytes(self._data), START_ROWS + 3 * count)
        encoded = []
        for command in self._commands:
            if command.at is not None:
                rows = command.at - _COSTS[command.name][0] - model.row - SPIN_ROWS
                if rows < 0:
                    raise ValueError(f"{command.name} at row {command.at}: the earliest "
                                     f"row with a SPIN before it is {command.at - rows}")
                spin = _Command("spin", OP_SPIN, rows, 0, None)
                encoded.append(spin)
                model.run(spin)
            encoded.append(command)
            model.run(command)
        script = b"".join(struct.pack("<III", c.op, c.arg0 & 0xFFFFFFFF, c.arg1 & 0xFFFFFFFF)
                          for c in encoded)
        if model.exit_code is None:
            model.exit_code = 0
            model.row += END_ROWS
        return BoundaryRun(struct.pack("<II", MAGIC, count) + script + bytes(self._data),
                           tuple(model.events), model.row, bytes(model.journal),
                           model.exit_code)

    def _add(self, name: str, op: int, arg0: int, arg1: int, at: int | None) -> BoundaryScript:
        self._commands.append(_Command(name, op, arg0, arg1, at))
        return self


def _script_register(register: int) -> int:
    if not 0 <= register < SCRIPT_REGISTERS:
        raise ValueError(f"script register {register}: 0..{SCRIPT_REGISTERS - 1} exist")
    return register


class _Model:
    """What the guest does, command by command: rows, memory, input, journal."""

    def __init__(self, data: bytes, first_row: int):
        self.data, self.position = data, 0
        self.row = first_row
        self.memory: dict[int, int] = {}
        self.registers = [0] * SCRIPT_REGISTERS
        self.journal = bytearray()
        self.events: list[Event] = []
        self.exit_code: int | None = None

    def run(self, c: _Command) -> None:
        if self.exit_code is not None:
            return  # commands after an exit never run
        offset, ecall_offset, rows = _COSTS[c.name]
        words = 0
        if c.name == "spin":
            rows += c.arg0
        elif c.name == "store":
            self._store(c.arg0, c.arg1.to_bytes(4, "little"))
        elif c.name == "store_byte":
            self._store(c.arg0, bytes([c.arg1]))
        elif c.name == "load_commit":
            self.journal += self._load(c.arg0, 4)
            words = 1
        elif c.name == "set_reg":
            self.registers[c.op - OP_SET_REG] = c.arg1 & 0xFFFFFFFF
        elif c.name == "commit_reg":
            self.journal += self.registers[c.op - OP_COMMIT_REG].to_bytes(4, "little")
            words = 1
        elif c.name == "read":
            left = len(self.data) - self.position
            got = min(c.arg1, left)
            rows = DISPATCH_ROWS + 2 + _read_exact_rows(c.arg0, c.arg1, left)
            self._store(c.arg0, self.data[self.position:self.position + got])
            self.position += got
            words = words_touched(c.arg0, got)
        elif c.name == "write":
            words = words_touched(c.arg0, c.arg1)
            rows += words
            self.journal += self._load(c.arg0, c.arg1)
        elif c.name == "exit":
            self.exit_code = c.arg0 & 0xFFFFFFFF
        start = self.row
        self.events.append(Event(len(self.events), c.name, start, start + offset, start + rows,
                                 None if ecall_offset is None else start + ecall_offset, words))
        self.row += rows

    def _store(self, address: int, data: bytes) -> None:
        for i, byte in enumerate(data):
            self.memory[address + i] = byte

    def _load(self, address: int, size: int) -> bytes:
        return bytes(self.memory.get(address + i, 0) for i in range(size))


@functools.cache
def boundary_symbols() -> dict[str, int]:
    """Addresses of the boundary guest's data symbols (``boundary_buffer`` ...)."""
    with open(BOUNDARY_ELF, "rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        return {s.name: s["st_value"] for s in symtab.iter_symbols()
                if s.name.startswith("boundary_")}


def buffer_address(offset: int = 0) -> int:
    """The address ``offset`` bytes into ``boundary_buffer`` (64 KiB, 16-byte aligned)."""
    if not 0 <= offset < BUFFER_BYTES:
        raise ValueError(f"offset {offset} is outside the {BUFFER_BYTES}-byte buffer")
    return boundary_symbols()["boundary_buffer"] + offset


# -- inputs of the long-running guests


def bigsort_input(count: int, seed: int = 0) -> bytes:
    """``count`` random 32-bit words, little-endian: the input of ``bigsort``."""
    words = np.random.default_rng(seed).integers(0, 1 << 32, size=count, dtype=np.uint64)
    return words.astype("<u4").tobytes()


def bigsort_journal(input_bytes: bytes) -> bytes:
    """What ``bigsort`` commits for ``input_bytes``: count, sortedness, checksum."""
    words = np.sort(np.frombuffer(input_bytes, dtype="<u4"))
    checksum = 0x811C9DC5
    for w in words.tolist():
        checksum = ((checksum ^ w) * 0x01000193) & 0xFFFFFFFF
    return f"{len(words)} 1 {checksum:08x}\n".encode()


_VOCABULARY_TEXT = (
    "the of and to in is that for it as was with be by on not he this are or his from at "
    "which but have an they you were her she there been one all we their has would when if "
    "so no will more can who said its into about than them only other time new some could "
    "these two may first then do any like my now over such our man me even most made after "
    "also did many before must through back years where much your way well down should "
    "because each just those people how too little state good very make world still see "
    "own men work long here get both between life being under never day same another know "
    "while last might us great old year off come since against go came right used take "
    "three")
_VOCABULARY = _VOCABULARY_TEXT.split()


def compress_input(size: int, seed: int = 0) -> bytes:
    """``size`` bytes of text-like data (Zipf-distributed words in sentences, with a
    few runs of random bytes): compressible, but not trivially, for ``compress``."""
    rng = random.Random(seed)
    weights = [1.0 / (rank + 1) for rank in range(len(_VOCABULARY))]
    out = bytearray()
    while len(out) < size:
        sentence = " ".join(rng.choices(_VOCABULARY, weights, k=rng.randint(5, 14)))
        out += sentence.capitalize().encode() + (b".\n" if rng.random() < 0.3 else b". ")
        if rng.random() < 0.05:
            out += rng.randbytes(rng.randint(1, 40))
    return bytes(out[:size])


WIDE_MLP_WIDTHS = (INPUT_SIZE, 128, 128, CLASS_COUNT)
# Requantization of the two hidden layers: acc * multiplier / 2^24 keeps typical
# activations of random int8 weights inside 0..127 instead of saturating them.
_WIDE_MLP_SCALES = ((1 << 24) // 140, (1 << 24) // 840)


def wide_mlp(seed: int = 0) -> tuple[bytes, MlpModel]:
    """A 64-128-128-10 MLP with seeded random int8 weights (untrained: a workload for
    ``digits_mlp``, not a classifier) and its blob."""
    rng = np.random.default_rng(seed)
    layers = []
    for i, (inputs, outputs) in enumerate(itertools.pairwise(WIDE_MLP_WIDTHS)):
        weights = rng.integers(-128, 128, size=(outputs, inputs)).astype(np.int8)
        biases = rng.integers(-1000, 1001, size=outputs).astype(np.int32)
        if i < len(_WIDE_MLP_SCALES):
            layers.append(DenseLayer(weights, biases, _WIDE_MLP_SCALES[i], 24))
        else:
            layers.append(DenseLayer(weights, biases))
    model = MlpModel(tuple(layers))
    return encode_model(model), model


def wide_mlp_input(seed: int = 0) -> tuple[bytes, MlpModel, np.ndarray]:
    """``(input, model, image)``: the wide MLP's blob followed by a random 8x8 image
    (uint8 pixels 0..16, shape (64,)), the private input of ``digits_mlp``."""
    blob, model = wide_mlp(seed)
    image = np.random.default_rng(seed + 1).integers(0, 17, size=INPUT_SIZE).astype(np.uint8)
    return blob + image.tobytes(), model, image
