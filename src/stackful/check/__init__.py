"""``stackful.check``: static checker of coroutine annotations.

Design principles:

* A command-line tool first (``python -m stackful.check PATH...`` or
  ``stackful-check``); the public Python entry point is ``main(argv)``.
* Standard library only (``ast``, ``tomllib``, ``json``, ``argparse``), and
  nothing is imported from the analysed code: the checker reads source text.
* One module per concept: ``_model`` (data), ``_config`` (what is known and
  configurable), ``_collect`` (parsing and call graph), ``_external``
  (annotations of code outside the analysed files), ``_infer`` (inference and
  diagnostics), ``_output`` (writers), ``_fix`` (``--fix``), ``cli``.
"""

from __future__ import annotations

from .cli import main

__all__ = ["main"]
