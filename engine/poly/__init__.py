"""Polynomials over BabyBear: NTT and low-degree extension (``ntt``), their kernels
(``ntt_kernels``) and tables (``twiddles``), Horner evaluation (``evaluate``).

Import the submodule you need; this package imports nothing."""
