"""The tests of greenlet's suite that are not run against stackful.compat.greenlet, each
with the reason (docs/compat.md repeats the list). Keys are paths under greenlet/tests/:
a whole module, or one test."""

DESELECTED: dict[str, str] = {
    "test_cpp.py": "greenlet's C++ exceptions and C API (_test_extension_cpp)",
    "test_extension_interface.py": "greenlet's C API (_C_API, _test_extension)",
}
