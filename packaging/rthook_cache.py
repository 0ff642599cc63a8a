"""PyInstaller runtime hook: set up Numba's cache before Numba is imported.

The bundle is installed read-only (``/opt/zkwb``) and ships its kernels compiled for
portable CPU levels (``_internal/kernel-cache/<level>``, made by ``zkwb warm-up`` in
``packaging/build``). ``engine.runtime.kernel_cache.configure`` picks the level this CPU runs,
copies that cache to ``~/.cache/zkwb/<version>/<level>`` on first start and points
Numba there, with a locator that does not depend on where the bundle was unpacked.
It imports only the standard library, so ``zkwb --version`` stays instant.
"""
import sys
from pathlib import Path

from engine import __version__
from engine.runtime.kernel_cache import configure

configure(Path(sys._MEIPASS), __version__)
