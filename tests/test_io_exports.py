"""The exact public names of stackful.io (the style of test_runtime_exports.py)."""

import types

import stackful
import stackful.io

IO = {"Driver", "Feed", "FeedFile", "Inverted", "parse_html", "parse_xml"}


def public(module):
    return {n for n in dir(module) if not n.startswith("_")
            and not isinstance(getattr(module, n), types.ModuleType)}


def test_io_names():
    assert set(stackful.io.__all__) == IO
    assert public(stackful.io) == IO


def test_io_is_not_re_exported_by_stackful():
    # A subpackage imported on demand, as stackful.socket: its names stay in it.
    assert not IO & set(stackful.__all__)
    assert "io" not in stackful.__all__
