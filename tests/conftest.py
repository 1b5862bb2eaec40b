import os
import subprocess
import sys
import textwrap

import pytest


def run_python(code, *, timeout=120, env=None):
    """Run code in a fresh interpreter (for what may crash it); returns CompletedProcess."""
    full_env = dict(os.environ)
    full_env.pop("PYTHONFAULTHANDLER", None)
    if env:
        full_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
    )


@pytest.fixture
def python_subprocess():
    return run_python
