"""The exact public names of stackful.aio; none of them is re-exported by stackful."""

import types

import stackful
import stackful.aio

AIO = {"AwaitRequired", "await_", "run", "run_sync"}


def public(module):
    return {n for n in dir(module) if not n.startswith("_")
            and not isinstance(getattr(module, n), types.ModuleType)}


def test_aio_names():
    assert set(stackful.aio.__all__) == AIO
    assert public(stackful.aio) == AIO


def test_aio_names_are_not_in_stackful_itself():
    # stackful.run is the runtime's own run, not the asyncio one.
    for name in AIO:
        assert getattr(stackful, name, None) is not getattr(stackful.aio, name), name
    assert "aio" not in stackful.__all__
