"""Frozen entry point of ``zkwb-workbench`` (PyInstaller)."""
import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from workbench.app import main

    sys.exit(main())
