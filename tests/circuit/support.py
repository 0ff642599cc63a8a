"""Shared helpers of the circuit tests: cached honest witnesses and a witness editor."""
from __future__ import annotations

import functools
import os
from dataclasses import replace

import numpy as np

from engine.circuit.columns import FLAGS
from engine.circuit.image import MachineImage
from engine.circuit.witness import MachineWitness
from engine.segments.witness import generate_witness
from engine.field.babybear import P
from engine.stark.check_constraints import CheckReport
from engine.stark.numpy_eval import evaluate_numpy
from engine.vm import execute, load_elf
from tests.vm.asm import Asm

GUESTS = os.path.join(os.path.dirname(__file__), "..", "..", "resources", "guests")
#: The stage-0 seed of the tests' one-segment proofs.
STAGE0_SEED = bytes(range(32))
#: The composite verifier's reason when the global buses do not balance.
GLOBAL_REASON = "the global buses do not balance"


def prove_segment(witness: MachineWitness, *, claim: bytes = b"", check: bool = True,
                  rng=None, publics=None, image=None, public_messages=None):
    """A proof of a whole run proved as one segment: its stage-0 root, the global
    challenges drawn from it alone, then the proof (``engine.prover`` does the same for
    many segments)."""
    from engine.stark import prove
    from engine.stark.prover import commit_stage0

    air = witness.air
    root = commit_stage0(air, witness.main, stage0_seed=STAGE0_SEED)
    challenges = _global_challenges(air, claim, [root])
    return prove(air, witness.main,
                 public_values=witness.publics if publics is None else publics,
                 public_data=witness.image if image is None else image,
                 public_messages=(witness.public_messages if public_messages is None
                                  else public_messages),
                 claim=claim, check=check, rng=np.random.default_rng(1) if rng is None else rng,
                 stage0_seed=STAGE0_SEED, global_challenges=challenges)


def verify_segment(proof, *, publics, image: MachineImage, public_messages, claim: bytes = b""):
    """Verify a one-segment proof as the composite verifier does: the proof against the
    challenges its stage-0 root gives, then the global sum with the image's messages."""
    from engine.circuit.image import image_messages
    from engine.circuit.machine import build_air
    from engine.stark import verify
    from engine.stark.stage0 import global_sum_balances

    air = build_air()
    challenges = _global_challenges(air, claim, [proof.stage0_root])
    result = verify(air, proof, public_values=publics, public_data=image,
                    public_messages=public_messages, claim=claim, global_challenges=challenges)
    if result.valid and not global_sum_balances(air, [result.global_sum],
                                                (image_messages(image),), challenges):
        return replace(result, valid=False, reason=GLOBAL_REASON)
    return result


def _global_challenges(air, claim: bytes, roots):
    """The global challenges after the shipped parameters' proof of work, as the
    receipt's verifier draws them (the grind finds the smallest passing nonce, so
    ``tests.segments.support.reground`` puts the same one in a receipt)."""
    from engine.stark.params import DEFAULT_PARAMS
    from engine.stark.stage0 import grind_global_challenges

    return grind_global_challenges(air, claim, roots, DEFAULT_PARAMS.global_pow_bits)[1]


def witness_of(program, data: bytes = b"") -> MachineWitness:
    result = execute(program, data, record_trace=True)
    return generate_witness(MachineImage.from_program(program), result,
                            rng=np.random.default_rng(7))


@functools.cache
def guest_witness(name: str, data: bytes = b"") -> MachineWitness:
    return witness_of(load_elf(os.path.join(GUESTS, f"{name}.elf")), data)


def asm_witness(prog: Asm, data: bytes = b"") -> MachineWitness:
    return witness_of(load_elf(prog.elf()), data)


class Edit:
    """A copy of a witness to change cell by cell; ``check()`` runs the row checker."""

    def __init__(self, witness: MachineWitness):
        self.witness = witness
        self.main = witness.main.copy()
        self.index = {name: k for k, name in enumerate(witness.air.main_names)}
        self.publics = dict(witness.publics)
        self.messages = witness.public_messages

    def __getitem__(self, key) -> int:
        name, row = key
        return int(self.main[self.index[name], row])

    def __setitem__(self, key, value) -> None:
        name, row = key
        self.main[self.index[name], row] = int(value) % P

    def rows_of(self, flag: str) -> np.ndarray:
        """Real rows whose operation flag is ``flag``."""
        real = self.witness.shape.real_rows
        return np.flatnonzero(self.main[self.index[f"op.{flag}"], :real] == 1)

    def row_at(self, pc: int) -> int:
        """The first row executing the instruction at ``pc``."""
        real = self.witness.shape.real_rows
        return int(np.flatnonzero(self.main[self.index["cpu.pc"], :real] == pc)[0])

    def value(self, prefix: str, row: int) -> int:
        """A 32-bit value held as halves ``{prefix}_lo``/``{prefix}_hi``."""
        return self[f"{prefix}_lo", row] | (self[f"{prefix}_hi", row] << 16)

    def set_value(self, prefix: str, row: int, value: int) -> None:
        self[f"{prefix}_lo", row] = value & 0xFFFF
        self[f"{prefix}_hi", row] = (value >> 16) & 0xFFFF

    def bits(self, which: str, row: int) -> int:
        return sum(self[f"alu.{which}{i}", row] << i for i in range(32))

    def set_bits(self, which: str, row: int, value: int) -> None:
        for i in range(32):
            self[f"alu.{which}{i}", row] = (value >> i) & 1

    def set_rd(self, row: int, value: int) -> None:
        """Write ``value`` to rd at ``row`` and hand it to the next access of rd, which the
        test programs make an overwrite (its previous value is used nowhere else)."""
        self.set_value("mem.c", row, value)
        ts = 4 * (row + 1) + 3
        nxt = self.find_reader(ts)
        assert nxt[1] == "rd", "the test program must overwrite rd next"
        self.set_value("mem.p", nxt[0], value)

    def set_register_result(self, row: int, value: int) -> None:
        """Write ``value`` to rd at ``row`` and hand it down the register's chain of
        accesses, as an attacker would: every later read of the register sees the new
        value, up to its next write or its final-memory row. The rows that read it may
        then fail their own constraints; tests look at the row that made the value."""
        self.set_value("mem.c", row, value)
        register = self[("cpu.rd", row)]
        ts = 4 * (row + 1) + 3
        real = self.witness.shape.real_rows
        while True:
            try:
                reader, slot = self.find_reader(ts)
            except AssertionError:
                # The segment's end: the boundary table's receive and the final memory.
                for table, lo, hi in (("bt", "bt.out_lo", "bt.out_hi"), ("ft", "ft.lo", "ft.hi")):
                    row = np.flatnonzero((self.main[self.index[f"{table}.addr"], :real]
                                          == register)
                                         & (self.main[self.index[f"{table}.real"], :real] == 1))
                    self[(lo, int(row[0]))] = value & 0xFFFF
                    self[(hi, int(row[0]))] = value >> 16
                return
            if slot == "rd":
                self.set_value("mem.p", reader, value)
                return
            self.set_value("mem.a" if slot == "rs1" else "mem.b", reader, value)
            ts = 4 * (reader + 1) + ("rs1", "rs2").index(slot)

    def set_prev_ts(self, slot: str, row: int, prev_ts: int) -> None:
        """Set a slot's previous timestamp and its decomposition ``ts - prev_ts - 1 =
        4q + e`` (in the field: a negative difference gives a huge ``q``)."""
        ts = 4 * (row + 1) + ("rs1", "rs2", "ram", "rd").index(slot)
        d = (ts - prev_ts - 1) % P
        e = d & 3 if d < P // 2 else 3
        q = (d - e) * pow(4, P - 2, P) % P
        self[f"mem.{slot}_prev_ts", row] = prev_ts
        self[f"mem.{slot}_q", row] = q
        self[f"mem.{slot}_e0", row], self[f"mem.{slot}_e1", row] = e & 1, e >> 1

    def find_reader(self, ts: int) -> tuple[int, str]:
        """The access whose previous timestamp is ``ts``: (row, slot name)."""
        real = self.witness.shape.real_rows
        for slot in ("rs1", "rs2", "ram", "rd"):
            column = self.main[self.index[f"mem.{slot}_prev_ts"], :real]
            hits = np.flatnonzero(column == ts)
            if hits.size:
                return int(hits[0]), slot
        raise AssertionError(f"no access follows timestamp {ts}")

    def recount(self, bus: str, mult: str) -> None:
        """Recompute a lookup table's multiplicity column ``mult`` from the lookups now
        in the trace, as an attacker would after changing looked-up values."""
        air, real = self.witness.air, self.witness.shape.real_rows
        prep = self.witness.preprocessed()
        main = self.main
        publics = air.publics_vector(self.publics)
        sends = [i for i in air.interactions if i.bus.name == bus and i.is_send]
        table = next(i for i in air.interactions if i.bus.name == bus and not i.is_send)
        exprs = [e for i in sends + [table] for e in i.values] + [i.signed_multiplicity
                                                                   for i in sends]
        values = evaluate_numpy(exprs, main=main, prep=prep, publics=publics)
        width = len(table.values)
        rows_of_entry = {}
        entries = np.stack(values[len(sends) * width:(len(sends) + 1) * width])[:, :real]
        for r in range(real - 1, -1, -1):
            rows_of_entry[tuple(entries[:, r])] = r
        counts = np.zeros(real, dtype=np.int64)
        for k in range(len(sends)):
            msg = np.stack(values[k * width:(k + 1) * width])[:, :real]
            used = values[(len(sends) + 1) * width + k][:real].astype(np.int64)
            for r in np.flatnonzero(used):
                entry = rows_of_entry.get(tuple(msg[:, r]))
                if entry is not None:          # a value outside the table stays unmatched
                    counts[entry] += used[r]
        self.main[self.index[mult], :real] = counts % P

    def set_flag(self, row: int, flag: str | None) -> None:
        for f in FLAGS:
            self[f"op.{f}", row] = int(f == flag)

    def result(self, **changes) -> MachineWitness:
        fields = {"main": self.main, "publics": self.publics, "public_messages": self.messages}
        return replace(self.witness, **{**fields, **changes})

    def check(self) -> CheckReport:
        return self.result().check()


def failed_constraints(report: CheckReport) -> set[str]:
    return {f.constraint for f in report.failures}


def unbalanced_buses(report: CheckReport) -> set[str]:
    return {b.bus for b in report.buses if not b.balanced}
