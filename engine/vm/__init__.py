"""The RV32IM virtual machine: ELF loading, the executor and its trace."""
from engine.vm.elf import load_elf
from engine.vm.executor import ExecutionResult, execute
from engine.vm.program import LoadSegment, Program, Symbol
from engine.vm.trace import Trace

__all__ = ["ExecutionResult", "LoadSegment", "Program", "Symbol", "Trace", "execute",
           "load_elf"]
