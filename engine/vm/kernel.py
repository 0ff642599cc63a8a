"""The RV32IM interpreter loop, compiled with Numba.

``run`` executes until the guest exits or faults, the cycle budget of this call runs
out, the run reaches a given row, or a buffer needs to grow; all machine state lives
in the arrays passed in, so the caller (``engine.vm.executor``) can resume it. It
stops only between rows, so it can stop inside a multi-row syscall: a read or write
that is copying words keeps its progress in ``st`` (the ``S_SYS_*`` entries) and the
next call goes on with the next copy row.

Three modes: counting (cycles only, at full speed); *tracking*, which also keeps each
word's last access timestamp in ``reg_ts``/``mem_ts``; and *recording*, which tracks
and writes one trace row per cycle (layout in ``engine.vm.trace``) into a buffer whose
row 0 is the run's row ``row0``, so a long run can be recorded one window at a time.

Integers are int64 holding unsigned 32-bit values (mixing uint64 and int64 makes Numba
fall back to floats). ``st`` is the state vector indexed by the ``S_*`` constants.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from engine.vm.decode import F_IMM, F_OP, F_RD, F_RS1, F_RS2
from engine.vm.memory_map import (GUEST_MEMORY_END, GUEST_MEMORY_START, HEAP_LIMIT,
                                  MAX_JOURNAL_BYTES, MAX_LOG_BYTES)
from engine.vm.trace import (C_INSN, C_IO_LENGTH, C_IO_OFFSET, C_IO_POSITION, C_KIND, C_MASK,
                             C_NEXT_PC, C_PC, C_SLOT0, KIND_INSTRUCTION, KIND_SYSCALL_ARGS,
                             KIND_SYSCALL_IO, N_COLUMNS, SLOT_MEM, SLOT_RD, SLOT_RS1, SLOT_RS2)

# State vector. S_SYS_* describe a read/write in progress (pc stays at its ecall until
# its last row): S_SYS_PHASE is SYS_IDLE, SYS_ARGS (the arguments row is next) or
# SYS_COPY (a copy row is next); S_SYS_PTR..S_SYS_END is the byte range still to copy
# (for fd 2 the whole buffer, copied to the log on the arguments row); S_SYS_COPY says
# where it goes (COPY_NONE, COPY_LOG, COPY_TRACE: the proven copy rows).
S_PC, S_CYCLES, S_INPUT_POS, S_JOURNAL_LEN, S_LOG_LEN, S_LOG_DROPPED, S_BRK, S_EXIT_CODE, \
    S_FAULT, S_NEED, S_UNKNOWN_SYSCALLS, S_LAST_UNKNOWN, S_SYS_PHASE, S_SYS_NUM, \
    S_SYS_COPY, S_SYS_PTR, S_SYS_END, S_SYS_RESULT = range(18)
STATE_SIZE = 18
SYS_IDLE, SYS_ARGS, SYS_COPY = 0, 1, 2
COPY_NONE, COPY_LOG, COPY_TRACE = 0, 1, 2

# Return status of ``run``.
STATUS_BUDGET = 0        # cycle budget of this call used up; call again
STATUS_EXIT = 1          # guest called exit; exit code in st[S_EXIT_CODE]
STATUS_FAULT = 2         # fault code in st[S_FAULT]
STATUS_ROW_STOP = 3      # the run reached row ``row_stop`` (not yet executed)
STATUS_GROW_JOURNAL = 4  # journal needs st[S_NEED] bytes in all
STATUS_GROW_LOG = 5      # log needs st[S_NEED] bytes in all

# Fault codes (messages in engine.vm.executor).
FAULT_ILLEGAL, FAULT_EBREAK, FAULT_FETCH, FAULT_MISALIGNED_PC, FAULT_LOAD_RANGE, \
    FAULT_STORE_RANGE, FAULT_LOAD_ALIGN, FAULT_STORE_ALIGN, FAULT_STORE_CODE, \
    FAULT_CYCLE_LIMIT, FAULT_JOURNAL_LIMIT, FAULT_READ_CODE = range(1, 13)

SYS_READ, SYS_WRITE, SYS_EXIT, SYS_EXIT_GROUP, SYS_BRK = 63, 64, 93, 94, 214
EBADF, EFAULT, ENOSYS = 9, 14, 38
MASK32 = 0xFFFFFFFF

# Op codes as plain ints (engine.vm.decode.Op) so Numba folds them into constants.
ILLEGAL, LUI, AUIPC, JAL, JALR, BEQ, BNE, BLT, BGE, BLTU, BGEU, LB, LH, LW, LBU, LHU, \
    SB, SH, SW, ADDI, SLTI, SLTIU, XORI, ORI, ANDI, SLLI, SRLI, SRAI, ADD, SUB, SLL, SLT, \
    SLTU, XOR, SRL, SRA, OR, AND, FENCE, ECALL, EBREAK, MUL, MULH, MULHSU, MULHU, DIV, \
    DIVU, REM, REMU, NOT_CODE, RDCYCLE = range(51)

MEM_LO = GUEST_MEMORY_START
MEM_HI = GUEST_MEMORY_END


@njit(nogil=True, cache=True, inline="always")
def _signed(x):
    return x - ((x & 0x80000000) << 1)


@njit(nogil=True, cache=True, inline="always")
def _touch(trace, row, slot, addr, prev_ts, prev, val):
    """Record one memory access in slot ``slot`` of trace row ``row``."""
    base = C_SLOT0 + 4 * slot
    trace[row, base] = addr
    trace[row, base + 1] = prev_ts
    trace[row, base + 2] = prev
    trace[row, base + 3] = val


@njit(nogil=True, cache=True, inline="always")
def _clear_row(trace, row):
    """Zero a buffer row before it is written: a reused buffer holds an older window."""
    for c in range(N_COLUMNS):
        trace[row, c] = 0


@njit(nogil=True, cache=True)
def _in_code(addr, code_ranges):
    for i in range(code_ranges.shape[0]):
        if code_ranges[i, 0] <= addr < code_ranges[i, 1]:
            return True
    return False


@njit(nogil=True, cache=True)
def run(st, regs, mem, code, code_words, code_base, code_ranges, inp, journal, log,
        cycle_budget, max_cycles, row_stop, track, record, trace, row0, reg_ts, mem_ts,
        heap_start):
    """Run the guest. Arrays are modified in place; returns a STATUS_* code.

    st: int64[STATE_SIZE]; regs: int64[32]; mem: uint32[WORD_COUNT]; code: int64[n, 5];
    code_words: uint32[n]; code_ranges: int64[k, 2]; inp/journal/log: uint8 buffers.
    Stops before row ``row_stop`` (STATUS_ROW_STOP) and before ``max_cycles`` rows (a
    cycle-limit fault). With ``track``, reg_ts: int64[32] and mem_ts: uint32[WORD_COUNT]
    hold each word's last access timestamp; with ``record`` (which needs ``track``),
    row ``r`` of the run is written to ``trace[r - row0]`` (uint32[rows, N_COLUMNS]),
    which must exist for every row before ``row_stop``.
    """
    pc = st[S_PC]
    cycles = st[S_CYCLES]
    stop = min(cycles + cycle_budget, max_cycles, row_stop)
    n_code = code.shape[0]
    code_lo = code_ranges[0, 0]
    code_hi = code_ranges[code_ranges.shape[0] - 1, 1]
    status = STATUS_BUDGET
    while True:
        if cycles >= stop:
            if cycles >= row_stop:
                status = STATUS_ROW_STOP
            elif cycles >= max_cycles:
                st[S_FAULT] = FAULT_CYCLE_LIMIT
                status = STATUS_FAULT
            break
        idx = (pc - code_base) >> 2
        if pc < code_base or idx >= n_code or (pc & 3) != 0:
            st[S_FAULT] = FAULT_FETCH if (pc & 3) == 0 else FAULT_MISALIGNED_PC
            status = STATUS_FAULT
            break
        op = code[idx, F_OP]
        rd = code[idx, F_RD]
        rs1 = code[idx, F_RS1]
        rs2 = code[idx, F_RS2]
        imm = code[idx, F_IMM]
        next_pc = (pc + 4) & MASK32
        row = cycles - row0
        clk4 = 4 * (cycles + 1)
        a = regs[rs1]
        b = regs[rs2]
        result = 0
        writes_rd = False
        uses_rs1 = True
        uses_rs2 = False
        mem_slot = 0   # 0 none, 1 read, 2 write
        mem_word = 0
        mem_prev = 0
        mem_val = 0
        if op == ADDI:
            result = (a + imm) & MASK32
            writes_rd = True
        elif op == ADD:
            result = (a + b) & MASK32
            writes_rd = True
            uses_rs2 = True
        elif op == LW or op == LB or op == LBU or op == LH or op == LHU:
            addr = (a + imm) & MASK32
            if addr < MEM_LO or addr >= MEM_HI:
                st[S_FAULT] = FAULT_LOAD_RANGE
                status = STATUS_FAULT
                break
            if (op == LW and (addr & 3) != 0) or ((op == LH or op == LHU) and (addr & 1) != 0):
                st[S_FAULT] = FAULT_LOAD_ALIGN
                status = STATUS_FAULT
                break
            mem_word = addr >> 2
            mem_prev = np.int64(mem[mem_word])
            mem_val = mem_prev
            mem_slot = 1
            shift = (addr & 3) * 8
            if op == LW:
                result = mem_prev
            elif op == LBU:
                result = (mem_prev >> shift) & 0xFF
            elif op == LB:
                v = (mem_prev >> shift) & 0xFF
                result = (v - ((v & 0x80) << 1)) & MASK32
            elif op == LHU:
                result = (mem_prev >> shift) & 0xFFFF
            else:
                v = (mem_prev >> shift) & 0xFFFF
                result = (v - ((v & 0x8000) << 1)) & MASK32
            writes_rd = True
        elif op == SW or op == SB or op == SH:
            uses_rs2 = True
            addr = (a + imm) & MASK32
            if addr < MEM_LO or addr >= MEM_HI:
                st[S_FAULT] = FAULT_STORE_RANGE
                status = STATUS_FAULT
                break
            if (op == SW and (addr & 3) != 0) or (op == SH and (addr & 1) != 0):
                st[S_FAULT] = FAULT_STORE_ALIGN
                status = STATUS_FAULT
                break
            if code_lo <= addr < code_hi and _in_code(addr, code_ranges):
                st[S_FAULT] = FAULT_STORE_CODE
                status = STATUS_FAULT
                break
            mem_word = addr >> 2
            mem_prev = np.int64(mem[mem_word])
            shift = (addr & 3) * 8
            if op == SW:
                mem_val = b
            elif op == SB:
                mem_val = (mem_prev & ~(0xFF << shift) & MASK32) | ((b & 0xFF) << shift)
            else:
                mem_val = (mem_prev & ~(0xFFFF << shift) & MASK32) | ((b & 0xFFFF) << shift)
            mem[mem_word] = np.uint32(mem_val)
            mem_slot = 2
        elif op >= BEQ and op <= BGEU:
            uses_rs2 = True
            if op == BEQ:
                taken = a == b
            elif op == BNE:
                taken = a != b
            elif op == BLT:
                taken = _signed(a) < _signed(b)
            elif op == BGE:
                taken = _signed(a) >= _signed(b)
            elif op == BLTU:
                taken = a < b
            else:
                taken = a >= b
            if taken:
                next_pc = (pc + imm) & MASK32
        elif op == JAL:
            uses_rs1 = False
            result = next_pc
            writes_rd = True
            next_pc = (pc + imm) & MASK32
        elif op == JALR:
            result = next_pc
            writes_rd = True
            next_pc = (a + imm) & 0xFFFFFFFE
        elif op == LUI:
            uses_rs1 = False
            result = imm & MASK32
            writes_rd = True
        elif op == AUIPC:
            uses_rs1 = False
            result = (pc + imm) & MASK32
            writes_rd = True
        elif op <= SRAI:   # ADDI handled above; SLTI..SRAI
            writes_rd = True
            if op == SLTI:
                result = 1 if _signed(a) < imm else 0
            elif op == SLTIU:
                result = 1 if a < (imm & MASK32) else 0
            elif op == XORI:
                result = (a ^ imm) & MASK32
            elif op == ORI:
                result = (a | imm) & MASK32
            elif op == ANDI:
                result = (a & imm) & MASK32
            elif op == SLLI:
                result = (a << imm) & MASK32
            elif op == SRLI:
                result = a >> imm
            elif op == SRAI:
                result = (_signed(a) >> imm) & MASK32
            else:
                st[S_FAULT] = FAULT_ILLEGAL
                status = STATUS_FAULT
                break
        elif op <= AND:    # SUB..AND register-register ALU
            writes_rd = True
            uses_rs2 = True
            if op == SUB:
                result = (a - b) & MASK32
            elif op == SLL:
                result = (a << (b & 31)) & MASK32
            elif op == SLT:
                result = 1 if _signed(a) < _signed(b) else 0
            elif op == SLTU:
                result = 1 if a < b else 0
            elif op == XOR:
                result = a ^ b
            elif op == SRL:
                result = a >> (b & 31)
            elif op == SRA:
                result = (_signed(a) >> (b & 31)) & MASK32
            elif op == OR:
                result = a | b
            else:
                result = a & b
        elif op >= MUL and op <= REMU:
            writes_rd = True
            uses_rs2 = True
            result = _muldiv(op, a, b)
        elif op == FENCE:
            uses_rs1 = False
        elif op == RDCYCLE:
            # The rows executed before this one (the run's row index). rs1 is x0 and
            # is read like any instruction's rs1; the circuit proves the value.
            result = cycles & MASK32
            writes_rd = True
        elif op == ECALL:
            status = _syscall_row(st, regs, mem, code_ranges, inp, journal, log, pc, track,
                                  record, trace, row, clk4, reg_ts, mem_ts, heap_start)
            if status != STATUS_BUDGET and status != STATUS_EXIT:
                break
            cycles += 1
            if status == STATUS_EXIT:
                break
            if st[S_SYS_PHASE] == SYS_IDLE:
                pc = next_pc
            continue
        else:
            st[S_FAULT] = FAULT_EBREAK if op == EBREAK else FAULT_ILLEGAL
            status = STATUS_FAULT
            break


        prev_rd = 0
        if writes_rd and rd != 0:
            prev_rd = regs[rd]
            regs[rd] = result
        if track:
            # Every column of the row is written (unused slots as zeros): the buffer
            # may hold an older window.
            mask = 0
            if uses_rs1:
                mask |= 1 << SLOT_RS1
                if record:
                    _touch(trace, row, SLOT_RS1, rs1, reg_ts[rs1], a, a)
                reg_ts[rs1] = clk4 + SLOT_RS1
            elif record:
                _touch(trace, row, SLOT_RS1, 0, 0, 0, 0)
            if uses_rs2:
                mask |= 1 << SLOT_RS2
                if record:
                    _touch(trace, row, SLOT_RS2, rs2, reg_ts[rs2], b, b)
                reg_ts[rs2] = clk4 + SLOT_RS2
            elif record:
                _touch(trace, row, SLOT_RS2, 0, 0, 0, 0)
            if mem_slot != 0:
                mask |= 1 << SLOT_MEM
                if mem_slot == 2:
                    mask |= 1 << (4 + SLOT_MEM)
                if record:
                    _touch(trace, row, SLOT_MEM, mem_word, mem_ts[mem_word], mem_prev, mem_val)
                mem_ts[mem_word] = clk4 + SLOT_MEM
            elif record:
                _touch(trace, row, SLOT_MEM, 0, 0, 0, 0)
            if writes_rd and rd != 0:
                mask |= (1 << SLOT_RD) | (1 << (4 + SLOT_RD))
                if record:
                    _touch(trace, row, SLOT_RD, rd, reg_ts[rd], prev_rd, result)
                reg_ts[rd] = clk4 + SLOT_RD
            elif record:
                _touch(trace, row, SLOT_RD, 0, 0, 0, 0)
            if record:
                trace[row, C_IO_OFFSET] = 0
                trace[row, C_IO_LENGTH] = 0
                trace[row, C_IO_POSITION] = 0
                trace[row, C_PC] = pc
                trace[row, C_INSN] = code_words[idx]
                trace[row, C_NEXT_PC] = next_pc
                trace[row, C_KIND] = KIND_INSTRUCTION
                trace[row, C_MASK] = mask
        pc = next_pc
        cycles += 1
    st[S_PC] = pc
    st[S_CYCLES] = cycles
    return status


@njit(nogil=True, cache=True)
def _muldiv(op, a, b):
    """The M extension on unsigned 32-bit values, with the spec's edge cases."""
    if op == MUL:
        return (a * b) & MASK32
    if op == MULH:
        return ((_signed(a) * _signed(b)) >> 32) & MASK32
    if op == MULHSU:
        return ((_signed(a) * b) >> 32) & MASK32
    if op == MULHU:
        return ((a * b) >> 32) & MASK32
    if op == DIVU:
        return MASK32 if b == 0 else a // b
    if op == REMU:
        return a if b == 0 else a % b
    sa = _signed(a)
    sb = _signed(b)
    if op == DIV:
        if sb == 0:
            return MASK32
        if sa == -0x80000000 and sb == -1:
            return a
        q = abs(sa) // abs(sb)            # RISC-V rounds toward zero
        return (-q if (sa < 0) != (sb < 0) else q) & MASK32
    # REM
    if sb == 0:
        return a
    if sa == -0x80000000 and sb == -1:
        return 0
    r = abs(sa) % abs(sb)                 # the remainder takes the dividend's sign
    return (-r if sa < 0 else r) & MASK32


@njit(nogil=True, cache=True)
def _syscall_row(st, regs, mem, code_ranges, inp, journal, log, pc, track, record, trace,
                 row, clk4, reg_ts, mem_ts, heap_start):
    """Execute one row of a syscall: its ecall row, or the arguments row or a copy row
    of the read/write in progress. Returns STATUS_BUDGET to go on (the syscall is over
    when st[S_SYS_PHASE] is SYS_IDLE again), STATUS_EXIT, or a status that stops before
    the row, having changed nothing, so that it can be repeated."""
    phase = st[S_SYS_PHASE]
    if phase == SYS_IDLE:
        return _ecall_row(st, regs, code_ranges, inp, journal, log, pc, track, record, trace,
                          row, clk4, reg_ts, heap_start)
    if phase == SYS_ARGS:
        _args_row(st, regs, mem, log, pc, track, record, trace, row, clk4, reg_ts)
    else:
        _copy_row(st, regs, mem, inp, journal, pc, track, record, trace, row, clk4, reg_ts,
                  mem_ts)
    return STATUS_BUDGET


@njit(nogil=True, cache=True)
def _ecall_row(st, regs, code_ranges, inp, journal, log, pc, track, record, trace, row, clk4,
               reg_ts, heap_start):
    """The ecall row: reads a7 and a0; exit, brk and unknown syscalls end here, read and
    write set up the rows that follow. Checks every buffer the syscall needs first and
    returns a GROW status before changing any state."""
    num = regs[17]
    a0 = regs[10]
    buf = regs[11]
    n = regs[12]
    is_io = num == SYS_READ or num == SYS_WRITE
    # Which words a read/write copies, and whether it can copy at all.
    fd_ok = (num == SYS_READ and a0 == 0) or (num == SYS_WRITE and (a0 == 1 or a0 == 2))
    count = 0
    if is_io and fd_ok:
        count = n if num == SYS_WRITE else min(n, inp.shape[0] - st[S_INPUT_POS])
    range_ok = True
    if is_io and fd_ok and n > 0 and (buf < MEM_LO or buf + n > MEM_HI):
        range_ok = False
    copies = is_io and fd_ok and range_ok and count > 0
    if copies and num == SYS_READ:
        # Copying input into code is a store into code: a fault, like sb/sh/sw there.
        for i in range(code_ranges.shape[0]):
            if buf < code_ranges[i, 1] and code_ranges[i, 0] < buf + count:
                st[S_FAULT] = FAULT_READ_CODE
                return STATUS_FAULT
    if copies and num == SYS_WRITE and a0 == 1:
        if st[S_JOURNAL_LEN] + count > MAX_JOURNAL_BYTES:
            st[S_FAULT] = FAULT_JOURNAL_LIMIT
            return STATUS_FAULT
        if st[S_JOURNAL_LEN] + count > journal.shape[0]:
            st[S_NEED] = st[S_JOURNAL_LEN] + count
            return STATUS_GROW_JOURNAL
    log_note = (not is_io) and num != SYS_EXIT and num != SYS_EXIT_GROUP and num != SYS_BRK
    log_want = count if (copies and num == SYS_WRITE and a0 == 2) else (64 if log_note else 0)
    if log_want > 0 and st[S_LOG_LEN] + log_want > log.shape[0] and log.shape[0] < MAX_LOG_BYTES:
        st[S_NEED] = min(st[S_LOG_LEN] + log_want, MAX_LOG_BYTES)
        return STATUS_GROW_LOG

    if track:
        if record:
            _begin_row(trace, row, pc, 0x73, KIND_INSTRUCTION)
        _read_reg(trace, row, SLOT_RS1, 17, regs, reg_ts, clk4, record)
        _read_reg(trace, row, SLOT_RS2, 10, regs, reg_ts, clk4, record)
    if num == SYS_EXIT or num == SYS_EXIT_GROUP:
        st[S_EXIT_CODE] = a0
        return STATUS_EXIT
    if not is_io:
        if num == SYS_BRK:
            if heap_start <= a0 <= HEAP_LIMIT:
                st[S_BRK] = a0
            result = st[S_BRK]
        else:
            result = (-ENOSYS) & MASK32
            st[S_UNKNOWN_SYSCALLS] += 1
            st[S_LAST_UNKNOWN] = num
            _log_unknown(st, log, num)
        _finish(trace, row, track, record, regs, reg_ts, result, pc, clk4)
        return STATUS_BUDGET

    # read and write go on with the arguments row (a1, a2), then one row per word copied.
    if not fd_ok:
        result = (-EBADF) & MASK32
    elif not range_ok:
        result = (-EFAULT) & MASK32
    else:
        result = count
    st[S_SYS_PHASE] = SYS_ARGS
    st[S_SYS_NUM] = num
    st[S_SYS_RESULT] = result
    st[S_SYS_PTR] = buf
    st[S_SYS_END] = buf + count if copies else buf
    if not copies:
        st[S_SYS_COPY] = COPY_NONE
    elif num == SYS_WRITE and a0 == 2:
        st[S_SYS_COPY] = COPY_LOG
    else:
        st[S_SYS_COPY] = COPY_TRACE
    return STATUS_BUDGET


@njit(nogil=True, cache=True)
def _args_row(st, regs, mem, log, pc, track, record, trace, row, clk4, reg_ts):
    """The arguments row of a read/write: reads a1 and a2; the log's copy happens here
    (it has no rows); without copy rows the syscall ends here."""
    if track:
        if record:
            _begin_row(trace, row, pc, 0, KIND_SYSCALL_ARGS)
        _read_reg(trace, row, SLOT_RS1, 11, regs, reg_ts, clk4, record)
        _read_reg(trace, row, SLOT_RS2, 12, regs, reg_ts, clk4, record)
    copy = st[S_SYS_COPY]
    if copy == COPY_LOG:
        _append_log(st, log, mem, st[S_SYS_PTR], st[S_SYS_END] - st[S_SYS_PTR])
    if copy == COPY_TRACE:
        st[S_SYS_PHASE] = SYS_COPY
    else:
        _finish(trace, row, track, record, regs, reg_ts, st[S_SYS_RESULT], pc, clk4)
        st[S_SYS_PHASE] = SYS_IDLE


@njit(nogil=True, cache=True)
def _copy_row(st, regs, mem, inp, journal, pc, track, record, trace, row, clk4, reg_ts, mem_ts):
    """One copy row: the bytes of the next word between S_SYS_PTR and S_SYS_END move
    from the input into memory (read) or from memory to the journal (write); the last
    copy row writes the result to a0."""
    lo = st[S_SYS_PTR]
    end = st[S_SYS_END]
    w = lo >> 2
    hi = min(end, w * 4 + 4)
    is_read = st[S_SYS_NUM] == SYS_READ
    stream_pos = st[S_INPUT_POS] if is_read else st[S_JOURNAL_LEN]
    prev = np.int64(mem[w])
    new = prev
    if is_read:
        for byte_addr in range(lo, hi):
            sh = (byte_addr & 3) * 8
            new = (new & ~(0xFF << sh) & MASK32) | (np.int64(inp[stream_pos + byte_addr - lo]) << sh)
        mem[w] = np.uint32(new)
        st[S_INPUT_POS] = stream_pos + hi - lo
    else:
        for byte_addr in range(lo, hi):
            journal[stream_pos + byte_addr - lo] = (prev >> ((byte_addr & 3) * 8)) & 0xFF
        st[S_JOURNAL_LEN] = stream_pos + hi - lo
    if track:
        if record:
            _begin_row(trace, row, pc, 0, KIND_SYSCALL_IO)
            mask = trace[row, C_MASK] | (1 << SLOT_MEM)
            if is_read:
                mask |= 1 << (4 + SLOT_MEM)
            trace[row, C_MASK] = mask
            _touch(trace, row, SLOT_MEM, w, mem_ts[w], prev, new)
            trace[row, C_IO_OFFSET] = lo - w * 4
            trace[row, C_IO_LENGTH] = hi - lo
            trace[row, C_IO_POSITION] = stream_pos
        mem_ts[w] = clk4 + SLOT_MEM
    st[S_SYS_PTR] = hi
    if hi == end:
        _finish(trace, row, track, record, regs, reg_ts, st[S_SYS_RESULT], pc, clk4)
        st[S_SYS_PHASE] = SYS_IDLE


@njit(nogil=True, cache=True, inline="always")
def _begin_row(trace, row, pc, insn, kind):
    _clear_row(trace, row)
    trace[row, C_PC] = pc
    trace[row, C_INSN] = insn
    trace[row, C_NEXT_PC] = pc
    trace[row, C_KIND] = kind


@njit(nogil=True, cache=True, inline="always")
def _read_reg(trace, row, slot, r, regs, reg_ts, clk4, record):
    if record:
        _touch(trace, row, slot, r, reg_ts[r], regs[r], regs[r])
        trace[row, C_MASK] |= 1 << slot
    reg_ts[r] = clk4 + slot


@njit(nogil=True, cache=True)
def _finish(trace, row, track, record, regs, reg_ts, result, pc, clk4):
    """Write a syscall's result to a0 in its last row, which moves on to pc + 4."""
    if track:
        if record:
            _touch(trace, row, SLOT_RD, 10, reg_ts[10], regs[10], result)
            trace[row, C_MASK] |= (1 << SLOT_RD) | (1 << (4 + SLOT_RD))
            trace[row, C_NEXT_PC] = (pc + 4) & MASK32
        reg_ts[10] = clk4 + SLOT_RD
    regs[10] = result


@njit(nogil=True, cache=True)
def _append_log(st, log, mem, buf, count):
    """Copy guest bytes to the host log; bytes past its capacity are counted, not kept."""
    length = st[S_LOG_LEN]
    for i in range(count):
        if length >= log.shape[0]:
            st[S_LOG_DROPPED] += count - i
            break
        addr = buf + i
        log[length] = (np.int64(mem[addr >> 2]) >> ((addr & 3) * 8)) & 0xFF
        length += 1
    st[S_LOG_LEN] = length


@njit(nogil=True, cache=True)
def _log_unknown(st, log, num):
    """Append 'zkwb: unknown syscall N returned -ENOSYS' to the host log."""
    text = "zkwb: unknown syscall "
    tail = " returned -ENOSYS\n"
    digits = np.zeros(10, np.uint8)
    nd = 0
    v = num
    while True:
        digits[nd] = 48 + v % 10
        nd += 1
        v //= 10
        if v == 0:
            break
    length = st[S_LOG_LEN]
    total = len(text) + nd + len(tail)
    if length + total > log.shape[0]:
        st[S_LOG_DROPPED] += total
        return
    for ch in text:
        log[length] = ord(ch)
        length += 1
    for i in range(nd):
        log[length] = digits[nd - 1 - i]
        length += 1
    for ch in tail:
        log[length] = ord(ch)
        length += 1
    st[S_LOG_LEN] = length
