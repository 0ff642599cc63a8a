"""The verification policy: which proof parameters a verifier accepts.

A receipt names the parameters its seal was made with, and the parameters decide how
sound the seal is: 20 queries at blowup 16 without proof of work is 80 conjectured
bits, 48 queries without proof of work 96. A verifier that took them from the
receipt would accept whatever a forger found convenient, so the verifier decides:
:class:`VerificationPolicy` lists the parameter sets it accepts (by default only the
sets zkwb ships, :data:`SHIPPED_PARAMS`), the least conjectured security it accepts
and the tallest trace. Security is always computed by the verifier from the
parameters and the trace height (``engine.stark.security``), never read from the
receipt.

::

    engine.verify(receipt)                                    # the shipped parameters
    engine.verify(receipt, policy=VerificationPolicy.allowing(ProofParams(zk=False)))

On the command line, ``--allow-params SPEC`` (:func:`parse_params_spec`) does what
:meth:`VerificationPolicy.allowing` does; ``docs/security.md`` describes the policy.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

from engine.stark.params import DEFAULT_PARAMS, ProofParams

__all__ = ["DEFAULT_MIN_SECURITY_BITS", "MAX_LOG_TRACE_HEIGHT", "SHIPPED_PARAMS",
           "VerificationPolicy", "params_spec", "parse_params_spec"]

#: The tallest trace zkwb proves and verifies (``docs/security.md``: the default
#: parameters give at least 100 conjectured bits up to 2^20 rows).
MAX_LOG_TRACE_HEIGHT = 20

#: The parameter sets zkwb ships: what ``zkwb prove`` and the workbench use.
SHIPPED_PARAMS: frozenset[ProofParams] = frozenset({DEFAULT_PARAMS})

#: The least conjectured security the default policy accepts. Every shipped set gives
#: at least this at every height up to ``2^MAX_LOG_TRACE_HEIGHT``
#: (``tests/test_policy.py`` checks it for the machine AIR).
DEFAULT_MIN_SECURITY_BITS = 100.0

_FIELD_NAMES = tuple(f.name for f in fields(ProofParams))


@dataclass(frozen=True)
class VerificationPolicy:
    """What a verifier accepts, whatever a receipt says.

    ``params``: the accepted parameter sets (a receipt made with any other set is
    invalid). ``min_security_bits``: the least conjectured security, computed by the
    verifier for the receipt's parameters and each segment's trace height (so the
    tallest segment's decides). ``max_log_trace_height``: log2 of the tallest segment
    trace accepted (at most :data:`MAX_LOG_TRACE_HEIGHT`; a receipt's segments each
    have their own height, ``engine.receipt.SegmentSeal``).

    The default accepts only :data:`SHIPPED_PARAMS`, at 100 bits or more, up to 2^20
    rows. :meth:`allowing` is the explicit way to accept other sets.
    """

    params: frozenset[ProofParams] = field(default=SHIPPED_PARAMS)
    min_security_bits: float = DEFAULT_MIN_SECURITY_BITS
    max_log_trace_height: int = MAX_LOG_TRACE_HEIGHT

    def __post_init__(self) -> None:
        params = frozenset(self.params)
        if not params or not all(isinstance(p, ProofParams) for p in params):
            raise TypeError("a VerificationPolicy needs one or more ProofParams")
        object.__setattr__(self, "params", params)
        if type(self.max_log_trace_height) is not int or \
                not 1 <= self.max_log_trace_height <= MAX_LOG_TRACE_HEIGHT:
            raise ValueError(f"max_log_trace_height must lie in [1, {MAX_LOG_TRACE_HEIGHT}]")
        if not 0 <= float(self.min_security_bits) <= 256:
            raise ValueError("min_security_bits must lie in [0, 256]")

    @classmethod
    def allowing(cls, *params: ProofParams, min_security_bits: float = 0.0,
                 max_log_trace_height: int = MAX_LOG_TRACE_HEIGHT) -> VerificationPolicy:
        """A policy that accepts ``params`` besides the shipped sets.

        Naming a parameter set is accepting its security: the floor is
        ``min_security_bits`` (none by default); the verdict still reports the bits
        the verifier computes.
        """
        for p in params:
            if not isinstance(p, ProofParams):
                raise TypeError(f"allowing() takes ProofParams, not {type(p).__name__}")
        return cls(SHIPPED_PARAMS | frozenset(params), min_security_bits, max_log_trace_height)

    def accepts(self, params: ProofParams) -> bool:
        """Whether receipts made with ``params`` may be valid under this policy."""
        return params in self.params

    def describe(self) -> str:
        """The accepted parameter sets, for a person: ``the shipped parameters (...)``."""
        shipped = sorted(params_spec(p) for p in self.params & SHIPPED_PARAMS)
        extra = sorted(params_spec(p) for p in self.params - SHIPPED_PARAMS)
        parts = []
        if shipped:
            parts.append("the shipped parameters (" + "; ".join(shipped) + ")")
        if extra:
            parts.append("the explicitly allowed " + "; ".join(f"({s})" for s in extra))
        return " and ".join(parts)

    def rejection(self, params: ProofParams) -> str | None:
        """Why a receipt made with ``params`` is refused, naming how to accept it; None
        if the policy accepts them."""
        if self.accepts(params):
            return None
        spec = params_spec(params)
        return (f"the receipt's proof parameters ({spec}) are not accepted by this "
                f"verifier's policy, which accepts {self.describe()}: to accept them, "
                f"verify with --allow-params {spec} (engine: "
                f"policy=VerificationPolicy.allowing(ProofParams(...)))")


def params_spec(params: ProofParams) -> str:
    """Every field of ``params`` as ``name=value,...`` (what ``--allow-params`` reads)."""
    out = []
    for name in _FIELD_NAMES:
        value = getattr(params, name)
        out.append(f"{name}={str(value).lower() if isinstance(value, bool) else value}")
    return ",".join(out)


def parse_params_spec(spec: str) -> ProofParams:
    """Parse ``name=value,...`` into a :class:`ProofParams`; fields not given take the
    default (``DEFAULT_PARAMS``).

    Names are the fields of ``ProofParams`` (``log_blowup``, ``num_queries``,
    ``query_pow_bits``, ``fri_log_arity``, ``fri_log_final_len``, ``logup_pow_bits``,
    ``global_pow_bits``, ``zk``); values are decimal integers, ``zk`` is ``true`` or ``false``. Raises
    ``ValueError`` with a reason for anything else (an unknown or repeated name, a
    value that is not a number or out of range, an empty spec).
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError("empty parameter set: expected name=value,... with names among "
                         + ", ".join(_FIELD_NAMES))
    values: dict[str, object] = {}
    for item in spec.split(","):
        name, sep, text = (part.strip() for part in item.partition("="))
        if not sep or not name or not text:
            raise ValueError(f"{item.strip()!r} is not name=value")
        if name not in _FIELD_NAMES:
            raise ValueError(f"unknown parameter {name!r}; the parameters are "
                             + ", ".join(_FIELD_NAMES))
        if name in values:
            raise ValueError(f"parameter {name!r} is given twice")
        if name == "zk":
            lowered = text.lower()
            if lowered not in ("true", "false", "1", "0"):
                raise ValueError(f"zk must be true or false, not {text!r}")
            values[name] = lowered in ("true", "1")
        else:
            if not (text.isascii() and text.isdigit()):
                raise ValueError(f"{name} must be a whole number, not {text!r}")
            values[name] = int(text)
    merged = {name: getattr(DEFAULT_PARAMS, name) for name in _FIELD_NAMES} | values
    try:
        return ProofParams(**merged)
    except (TypeError, ValueError) as error:
        raise ValueError(str(error)) from None
