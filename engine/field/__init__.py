"""BabyBear (``babybear``), its quartic extension (``ext4``), Shoup multiplication by
precomputed constants (``shoup``) and the verifier's scalar classes (``scalar``).

Import the submodule you need; this package imports nothing, so that loading one
kernel module does not load the others."""
