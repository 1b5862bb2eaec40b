"""What the system under the tests enforces, for tests that depend on it."""

import resource


def rlimit_as_applies():
    """Whether lowering RLIMIT_AS takes effect.  qemu-user ignores an emulated program's
    setrlimit(RLIMIT_AS) (qemu needs the address space for itself): the call succeeds
    and the limit reads back unchanged."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    trial = (1 << 46) if hard == resource.RLIM_INFINITY else hard - 1
    try:
        resource.setrlimit(resource.RLIMIT_AS, (trial, hard))
        return resource.getrlimit(resource.RLIMIT_AS)[0] == trial
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
