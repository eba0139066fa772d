# -*- coding: utf-8 -*-
"""``python tests/emulator/scalingo_emulator ...`` or ``python -m scalingo_emulator ...`` (see cli.py)."""

from __future__ import annotations

import os
import sys

if not __package__:
    # Run as a directory, Python put this directory first on sys.path: its modules would load as top-level ones.
    # Load them as the package, from the directory above.
    _HERE = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [os.path.dirname(_HERE)] + [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

from scalingo_emulator.cli import main  # noqa: E402  pylint: disable=wrong-import-position

if __name__ == "__main__":
    sys.exit(main())
