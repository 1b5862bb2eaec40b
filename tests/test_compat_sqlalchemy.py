"""SQLAlchemy's asyncio extension (sqlalchemy.ext.asyncio with aiosqlite) running on
stackful.compat.greenlet: engine, AsyncSession, ORM queries, a relationship loaded with
awaitable_attrs, an IntegrityError and its rollback, an explicit rollback, and proof that
SQLAlchemy imported the compat module and that stackful switches happened. In a
subprocess: install() must precede the import of SQLAlchemy."""

import pathlib
import subprocess
import sys

import pytest

APP = pathlib.Path(__file__).with_name("compat_sqlalchemy_app.py")
EXPECTED = ["created tables", "inserted", "queried; relationship loaded with awaitable_attrs",
            "integrity error: IntegrityError", "rolled back", "explicit rollback",
            "sqlalchemy used stackful.compat.greenlet"]


def run_app(url):
    pytest.importorskip("sqlalchemy")
    pytest.importorskip("aiosqlite")
    proc = subprocess.run([sys.executable, str(APP), url], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(EXPECTED), lines
    for line, start in zip(lines, EXPECTED):
        assert line.startswith(start), (line, start)
    return lines


def test_sqlalchemy_asyncio_in_memory():
    run_app("sqlite+aiosqlite:///:memory:")


def test_sqlalchemy_asyncio_on_a_file(tmp_path):
    db = tmp_path / "app.db"
    lines = run_app("sqlite+aiosqlite:///%s" % db)
    assert db.stat().st_size > 0
    switches = int(lines[2].rsplit(";", 1)[1].split()[0])
    assert switches > 0


def test_install_after_the_real_greenlet_refuses():
    pytest.importorskip("greenlet")
    code = ("import greenlet, sys\n"
            "from stackful.compat import greenlet as compat\n"
            "try:\n    compat.install()\n"
            "except RuntimeError as e:\n    print('refused:', e)\n"
            "assert sys.modules['greenlet'] is greenlet and greenlet is not compat\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("refused: stackful.compat.greenlet.install() must run "
                                  "before greenlet is imported"), proc.stdout


def test_install_is_idempotent_and_serves_the_extension_module_names():
    code = ("import sys\n"
            "from stackful.compat import greenlet as compat\n"
            "compat.install(); compat.install()\n"
            "import greenlet\n"
            "from greenlet import getcurrent, greenlet as G, GreenletExit\n"
            "from greenlet._greenlet import get_total_main_greenlets\n"
            "assert greenlet is compat and G is compat.greenlet\n"
            "assert get_total_main_greenlets() == 0 and getcurrent() and get_total_main_greenlets() == 1\n"
            "try:\n    import greenlet.tests\nexcept ImportError as e:\n    print('no', e)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("no "), proc.stdout
