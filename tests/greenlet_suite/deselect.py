"""The tests of greenlet's suite that are not run against stackful.compat.greenlet, each
with the reason (docs/compat.md repeats the list). Keys are paths under greenlet/tests/:
a whole module, or one test."""

DESELECTED: dict[str, str] = {
}
