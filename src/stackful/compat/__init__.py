"""Compatibility layers: other coroutine libraries' APIs on stackful.

Design principles:
  - Each layer is a module named after the library it stands in for, with that
    library's names and behaviour, built on stackful's public API only; its own test
    suite, where it ships one, is the bar (docs/compat.md).
  - Importing this package imports no layer; ``stackful.compat.greenlet`` is greenlet's.
"""

__all__ = ["greenlet"]
