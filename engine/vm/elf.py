"""ELF loading: turn an untrusted file into a validated ``Program``.

Every check that a user's file can fail raises ``ElfError`` with a message that says
what is wrong and, where it helps, how to build a guest that works. The raw header is
checked by hand before pyelftools sees the file, so garbage gets a plain answer rather
than a parser's stack trace.
"""
from __future__ import annotations

import io
import itertools
import os
import struct

import numpy as np
from elftools.common.exceptions import ELFError as _PyElfError
from elftools.elf.elffile import ELFFile

from engine.errors import ElfError
from engine.fileio import read_bounded
from engine.vm.decode import Op, decode
from engine.vm.image import image_id
from engine.vm.memory_map import (
    GUEST_MEMORY_END,
    GUEST_MEMORY_START,
    MAX_ELF_BYTES,
    MAX_SEGMENTS,
    PAGE_SIZE,
)
from engine.vm.program import LoadSegment, Program, Symbol

EM_RISCV = 243
ET_EXEC = 2
EF_RISCV_RVC = 0x1
EF_RISCV_FLOAT_ABI = 0x6
PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
MAX_SYMBOLS = 200_000
_BUILD_HINT = "build it with riscv64-unknown-elf-gcc -march=rv32im -mabi=ilp32 (see docs/guest-abi.md)"

_MACHINES = {0: "no machine", 3: "x86 (i386)", 8: "MIPS", 20: "PowerPC", 21: "PowerPC64",
             40: "ARM", 62: "x86-64", 183: "AArch64", 243: "RISC-V", 247: "BPF",
             258: "LoongArch"}
_SIGNATURES = {b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image",
               b"GIF8": "a GIF image", b"%PDF": "a PDF document", b"PK\x03\x04": "a ZIP archive",
               b"MZ": "a Windows executable", b"\xca\xfe\xba\xbe": "a Mach-O or Java class file",
               b"\xcf\xfa\xed\xfe": "a macOS (Mach-O) executable", b"#!": "a script",
               b"ZKWB": "a zkwb receipt, not a program"}


def load_elf(source: str | os.PathLike | bytes, name: str | None = None) -> Program:
    """Load and validate a guest program.

    ``source`` is a path or the file's bytes. Raises ``ElfError`` for anything that is
    not a statically linked ELF32 little-endian RV32IM executable whose loadable
    segments lie inside guest memory without overlapping.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = name or "<memory>"
    else:
        path = os.fspath(source)
        name = name or os.path.basename(path)
        data = read_bounded(path, MAX_ELF_BYTES, "guest program", ElfError)
    return _load(data, name)


def _load(data: bytes, name: str) -> Program:
    _check_header(data, name)
    try:
        elf = ELFFile(io.BytesIO(data))
        segments, contents = _loadable_segments(elf, data, name)
        symbols = _function_symbols(elf)
        lines = _line_table(elf)
    except ElfError:
        raise
    except (_PyElfError, struct.error, ValueError, KeyError, IndexError, OverflowError,
            AttributeError, UnicodeDecodeError, AssertionError) as e:
        raise ElfError(f"{name}: malformed ELF file ({e})") from None

    entry = elf.header["e_entry"]
    code_ranges = tuple((s.vaddr, s.end) for s in segments if s.executable)
    if not code_ranges:
        raise ElfError(f"{name}: no executable segment, so there is no code to run")
    if entry % 4 or not any(lo <= entry < hi for lo, hi in code_ranges):
        raise ElfError(f"{name}: entry point 0x{entry:08x} is not an aligned address inside "
                       "an executable segment")
    for lo, hi in code_ranges:
        if lo % 4:
            raise ElfError(f"{name}: executable segment at 0x{lo:08x} is not 4-byte aligned")

    word_addresses, word_values = _initial_words(segments, contents)
    code_base = code_ranges[0][0]
    code_end = (code_ranges[-1][1] + 3) & ~3
    code_words = np.zeros((code_end - code_base) // 4, dtype=np.uint32)
    is_code = np.zeros(len(code_words), dtype=bool)
    for lo, hi in code_ranges:
        is_code[(lo - code_base) // 4:(hi - code_base + 3) // 4] = True
    in_rom = (word_addresses >= code_base // 4) & (word_addresses < code_end // 4)
    code_words[word_addresses[in_rom] - code_base // 4] = word_values[in_rom]
    code = decode(code_words)
    code[~is_code, :] = 0
    code[~is_code, 0] = int(Op.NOT_CODE)

    highest = max(s.end for s in segments)
    heap_start = (highest + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)
    return Program(entry=entry, load_segments=tuple(segments), code_ranges=code_ranges,
                   code_base=code_base, code_words=code_words, code=code,
                   word_addresses=word_addresses, word_values=word_values,
                   heap_start=heap_start,
                   image_id=image_id(entry, list(code_ranges), heap_start, word_addresses,
                                     word_values),
                   symbols=symbols, lines=lines, file_size=len(data), name=name)


def _check_header(data: bytes, name: str) -> None:
    if len(data) == 0:
        raise ElfError(f"{name} is empty")
    if data[:4] != b"\x7fELF":
        what = next((desc for sig, desc in _SIGNATURES.items() if data.startswith(sig)), None)
        raise ElfError(f"{name} is not an ELF program" + (f" (it looks like {what})" if what else
                       f" (it starts with bytes {data[:8].hex(' ')})"))
    if len(data) < 52:
        raise ElfError(f"{name} is truncated: {len(data)} bytes is shorter than an ELF header")
    ei_class, ei_data = data[4], data[5]
    if ei_class == 2:
        raise ElfError(f"{name} is a 64-bit ELF; zkwb runs 32-bit RISC-V (RV32IM) programs: "
                       + _BUILD_HINT)
    if ei_class != 1:
        raise ElfError(f"{name}: unknown ELF class {ei_class}")
    if ei_data != 1:
        raise ElfError(f"{name} is big-endian; RISC-V guests are little-endian")
    e_type, e_machine = struct.unpack_from("<HH", data, 16)
    e_flags = struct.unpack_from("<I", data, 36)[0]
    if e_machine != EM_RISCV:
        arch = _MACHINES.get(e_machine, f"machine type {e_machine}")
        raise ElfError(f"{name} is built for {arch}, not RISC-V: " + _BUILD_HINT)
    if e_type != ET_EXEC:
        kind = {1: "a relocatable object (.o)", 3: "a shared object or position-independent "
                "executable", 4: "a core dump"}.get(e_type, f"ELF type {e_type}")
        raise ElfError(f"{name} is {kind}, not a statically linked executable: " + _BUILD_HINT)
    if e_flags & EF_RISCV_RVC:
        raise ElfError(f"{name} uses compressed instructions (the RVC flag is set); zkwb runs "
                       "RV32IM without the C extension: " + _BUILD_HINT)
    if e_flags & EF_RISCV_FLOAT_ABI:
        raise ElfError(f"{name} uses a hard-float ABI; zkwb has no floating-point unit: "
                       + _BUILD_HINT)


def _loadable_segments(elf: ELFFile, data: bytes, name: str):
    if elf.num_segments() > 4 * MAX_SEGMENTS:
        raise ElfError(f"{name}: {elf.num_segments()} program headers is more than zkwb accepts")
    segments: list[LoadSegment] = []
    contents: list[bytes] = []
    for seg in elf.iter_segments():
        p_type = seg.header["p_type"]
        if p_type in ("PT_INTERP", "PT_DYNAMIC", PT_INTERP, PT_DYNAMIC):
            raise ElfError(f"{name} is dynamically linked; guests must be static: " + _BUILD_HINT)
        if p_type not in ("PT_LOAD", PT_LOAD):
            continue
        h = seg.header
        vaddr, memsz, filesz, offset = h["p_vaddr"], h["p_memsz"], h["p_filesz"], h["p_offset"]
        if memsz == 0:
            continue
        if filesz > memsz:
            raise ElfError(f"{name}: a segment at 0x{vaddr:08x} stores more bytes in the file "
                           f"({filesz}) than it occupies in memory ({memsz})")
        if offset + filesz > len(data):
            raise ElfError(f"{name} is truncated: a segment at 0x{vaddr:08x} needs bytes up to "
                           f"offset {offset + filesz}, the file has {len(data)}")
        if vaddr < GUEST_MEMORY_START or vaddr + memsz > GUEST_MEMORY_END:
            raise ElfError(f"{name}: segment 0x{vaddr:08x}-0x{vaddr + memsz:08x} lies outside "
                           f"guest memory [0x{GUEST_MEMORY_START:08x}, 0x{GUEST_MEMORY_END:08x})")
        segments.append(LoadSegment(vaddr=vaddr, memsz=memsz, filesz=filesz,
                                    flags=h["p_flags"]))
        contents.append(data[offset:offset + filesz])
        if len(segments) > MAX_SEGMENTS:
            raise ElfError(f"{name} has more than {MAX_SEGMENTS} loadable segments")
    if not segments:
        raise ElfError(f"{name} has no loadable segments")
    order = sorted(range(len(segments)), key=lambda i: segments[i].vaddr)
    segments = [segments[i] for i in order]
    contents = [contents[i] for i in order]
    for a, b in itertools.pairwise(segments):
        if b.vaddr < a.end:
            raise ElfError(f"{name}: segments {a.describe()} and {b.describe()} overlap")
    return segments, contents


def _initial_words(segments: list[LoadSegment], contents: list[bytes]):
    """Non-zero initial memory words (uint32 word addresses, uint32 values), sorted."""
    addresses, values = [], []
    for seg, raw in zip(segments, contents):
        if not raw:
            continue
        first_word = seg.vaddr >> 2
        lead = seg.vaddr & 3
        buf = bytearray(lead) + raw
        buf += bytes(-len(buf) % 4)
        words = np.frombuffer(bytes(buf), dtype="<u4")
        nz = np.nonzero(words)[0]
        addresses.append((first_word + nz).astype(np.uint32))
        values.append(words[nz].astype(np.uint32))
    if not addresses:
        return np.zeros(0, np.uint32), np.zeros(0, np.uint32)
    addr = np.concatenate(addresses)
    val = np.concatenate(values)
    # Segments never overlap, but two may share a boundary word when one ends and the
    # next begins inside the same word: merge those by OR (their bytes are disjoint).
    order = np.argsort(addr, kind="stable")
    addr, val = addr[order], val[order]
    if len(addr) > 1 and np.any(addr[1:] == addr[:-1]):
        uniq, start = np.unique(addr, return_index=True)
        merged = np.bitwise_or.reduceat(val, start)
        addr, val = uniq.astype(np.uint32), merged.astype(np.uint32)
    return addr, val


MAX_LINE_ROWS = 2_000_000


def _line_table(elf: ELFFile) -> tuple[tuple[int, str, int], ...]:
    """(address, file name, line) rows of the DWARF line table, sorted by address, for
    fault messages (addr2line-style). Debug information is optional: an ELF without it,
    or with a line table pyelftools cannot read, has no rows (the program still loads)."""
    try:
        if not elf.has_dwarf_info():
            return ()
        dwarf = elf.get_dwarf_info()
        rows: list[tuple[int, str, int]] = []
        for cu in dwarf.iter_CUs():
            program = dwarf.line_program_for_CU(cu)
            if program is None:
                continue
            header = program.header
            names = [f.name.decode("utf-8", "replace") for f in header["file_entry"]]
            base = 0 if header["version"] >= 5 else 1
            for entry in program.get_entries():
                state = entry.state
                if state is None:
                    continue
                if state.end_sequence:
                    rows.append((state.address, "", 0))
                    continue
                index = state.file - base
                file = names[index] if 0 <= index < len(names) else "?"
                rows.append((state.address, file, state.line))
                if len(rows) >= MAX_LINE_ROWS:
                    break
        rows.sort()
        return tuple(rows)
    except Exception:   # noqa: BLE001 - optional debug information, never fatal
        return ()


def _function_symbols(elf: ELFFile) -> tuple[Symbol, ...]:
    symtab = elf.get_section_by_name(".symtab")
    if symtab is None or not hasattr(symtab, "iter_symbols"):
        return ()
    out = []
    for i, sym in enumerate(symtab.iter_symbols()):
        if i >= MAX_SYMBOLS:
            break
        if sym["st_info"]["type"] == "STT_FUNC" and sym.name and sym["st_shndx"] not in ("SHN_UNDEF", "SHN_ABS"):
            out.append(Symbol(name=sym.name, address=sym["st_value"], size=sym["st_size"]))
    out.sort(key=lambda s: s.address)
    return tuple(out)
