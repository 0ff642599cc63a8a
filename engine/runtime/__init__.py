"""The process runtime: what every layer above may use, and which uses none of them.

``kernel_cache`` (where Numba's compiled kernels live, the shipped CPU levels),
``numba_locator`` (a cache that survives relocating the package), ``compile_time``
(how much of a call was compiling), ``memory`` (small pages for the prover's arrays)
and ``resources`` (the bundled guests and models).
"""
