"""Tests of the machine-learning guests, the model blob format and ``zkwb ml``."""
