"""The guest memory map and the executor's hard limits (docs/guest-abi.md).

Addresses are byte addresses unless a name says ``word``. Guest memory is
``[GUEST_MEMORY_START, GUEST_MEMORY_END)``, zero-initialised except for the ELF's
loadable segments. Registers are memory words at word addresses 0..31 in the proof's
memory argument; RAM word addresses are ``byte_address >> 2`` (>= 0x400, so the two
never collide).
"""

GUEST_MEMORY_START = 0x0000_1000
GUEST_MEMORY_END = 0x0C00_0000
INITIAL_SP = 0x0C00_0000

# brk grows the heap from the page-aligned end of the highest loadable segment (as
# Linux and qemu-user do) up to this address; the 1 MiB below INITIAL_SP is left for a
# stack that starts at the top of memory.
HEAP_LIMIT = INITIAL_SP - 0x0010_0000
PAGE_SIZE = 0x1000

WORD_COUNT = GUEST_MEMORY_END >> 2

# Limits on untrusted input, checked before anything of that size is allocated.
MAX_ELF_BYTES = 64 << 20
MAX_SEGMENTS = 64
MAX_INPUT_BYTES = 64 << 20
MAX_JOURNAL_BYTES = 16 << 20
MAX_LOG_BYTES = 16 << 20
DEFAULT_MAX_CYCLES = 1_000_000_000

# The most rows a run may take when it is recorded in windows (engine.vm.executor
# execute_segments). Global timestamps are ts = 4·(row + 1) + slot, so the largest is
# 4·MAX_RUN_ROWS + 3 = 2^31 − 2^27 − 1, one below the largest BabyBear element
# p − 1 (p = 2^31 − 2^27 + 1, engine/field/babybear.py): every timestamp fits in 32
# bits (the trace's uint32 columns, mem_ts) and is a canonical field element, and so
# is every segment index. 2^29 rows would reach 2^31 + 3 > p.
MAX_RUN_ROWS = 2**29 - 2**25 - 1
