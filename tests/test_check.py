"""Golden-file tests of the static checker (``python -m stackful.check``).

Each directory under ``tests/check/cases/`` is a small source tree; the
expected outputs are under ``tests/check/golden/``.  A case is copied to a
temporary directory and checked from there, so reported paths are relative
and ``--fix`` never touches the committed inputs.  A file named
``*.py-invalid`` becomes ``*.py`` in the copy (kept unparsable on purpose,
but hidden from other tools in the repository).

Regenerate the goldens with ``STACKFUL_REGEN_GOLDEN=1 python -m pytest
tests/test_check.py`` and review the diff by hand before committing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stackful.check import cli
from stackful.check._model import RULES

HERE = Path(__file__).parent / "check"
CASES = HERE / "cases"
GOLDEN = HERE / "golden"
EXTLIB = HERE / "extlib"
REGEN = os.environ.get("STACKFUL_REGEN_GOLDEN") == "1"


# ------------------------------------------------------------------ helpers


def copy_case(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(CASES / name, target)
    for invalid in target.rglob("*.py-invalid"):
        invalid.rename(invalid.with_name(invalid.name[: -len("-invalid")]))
    return target


def compare(golden: str, actual: str) -> None:
    path = GOLDEN / golden
    if REGEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
        return
    assert path.is_file(), f"missing golden file {path} (regenerate with STACKFUL_REGEN_GOLDEN=1)"
    assert actual == path.read_text(encoding="utf-8")


def run(args: list[str], cwd: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    code = cli.main(args)
    out, err = capsys.readouterr()
    return code, out, err


def run_subprocess(args: list[str], cwd: Path, extra_path: str = "") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    src = str(Path(cli.__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (extra_path, src, env.get("PYTHONPATH", "")) if p)
    return subprocess.run(
        [sys.executable, "-m", "stackful.check", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# (case, extra arguments, expected exit status)
TEXT_CASES = [
    ("missing", ["--no-config"], 1),
    ("spurious", ["--no-config"], 1),
    ("blocking", ["--no-config"], 1),
    ("conflict", ["--no-config"], 1),
    ("outside", ["--no-config"], 1),
    ("subtle", ["--no-config"], 1),
    ("crossmod", ["--no-config"], 1),
    ("methods", ["--no-config"], 1),
    ("refs", ["--no-config"], 1),
    ("suppress", ["--no-config"], 1),
    ("config", [], 1),
    ("parse_error", ["--no-config"], 2),
    ("clean", ["--no-config"], 0),
    ("runtime", ["--no-config"], 1),
]


# ------------------------------------------------------------------ goldens


@pytest.mark.parametrize(("case", "extra", "status"), TEXT_CASES, ids=[c[0] for c in TEXT_CASES])
def test_text_golden(case, extra, status, tmp_path, capsys, monkeypatch):
    root = copy_case(case, tmp_path)
    code, out, err = run([*extra, "."], root, capsys, monkeypatch)
    compare(f"{case}.txt", out)
    assert code == status, err


@pytest.mark.parametrize("case", ["blocking", "crossmod", "parse_error"])
def test_json_golden(case, tmp_path, capsys, monkeypatch):
    root = copy_case(case, tmp_path)
    _, out, _ = run(["--no-config", "--format", "json", "."], root, capsys, monkeypatch)
    document = json.loads(out)
    assert document["tool"] == "stackful-check"
    compare(f"{case}.json", out)


@pytest.mark.parametrize(
    ("case", "extra"),
    [("outside", []), ("methods", []), ("subtle", []), ("blocking", ["--full-graph"])],
    ids=["outside", "methods", "subtle", "blocking-full"],
)
def test_dot_golden(case, extra, tmp_path, capsys, monkeypatch):
    root = copy_case(case, tmp_path)
    graph = tmp_path / "graph.dot"
    run(["--no-config", "--dot", str(graph), *extra, "."], root, capsys, monkeypatch)
    suffix = "-full" if extra else ""
    compare(f"{case}{suffix}.dot", graph.read_text(encoding="utf-8"))


def test_external_annotations(tmp_path):
    """Functions annotated in a module outside the analysed files (found on
    sys.path, never imported) are roots or blocking_fn."""
    root = copy_case("external", tmp_path)
    result = run_subprocess(["--no-config", "."], root, extra_path=str(EXTLIB))
    compare("external.txt", result.stdout)
    assert result.returncode == 1
    ignored = run_subprocess(["--no-config", "--no-external", "."], root, extra_path=str(EXTLIB))
    # Without them, nothing is known of the library: blocks() looks spurious.
    assert [line.split(" ")[1] for line in ignored.stdout.splitlines()] == ["SC102"]


# ------------------------------------------------------------------ SARIF


def _check_sarif(document: dict) -> None:
    """The fields SARIF 2.1.0 requires, and those code scanning reads."""
    assert document["version"] == "2.1.0"
    assert document["$schema"].endswith("sarif-2.1.0.json")
    (run_,) = document["runs"]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "stackful-check"
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert rule_ids == sorted(RULES)
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("note", "warning", "error")
    for result in run_["results"]:
        assert result["ruleId"] in rule_ids
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["message"]["text"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"]
        assert physical["region"]["startLine"] >= 1
        assert physical["region"]["startColumn"] >= 1


@pytest.mark.parametrize("case", [c[0] for c in TEXT_CASES])
def test_sarif_structure(case, tmp_path, capsys, monkeypatch):
    root = copy_case(case, tmp_path)
    extra = [] if case == "config" else ["--no-config"]
    _, text, _ = run([*extra, "."], root, capsys, monkeypatch)
    _, out, _ = run([*extra, "--format", "sarif", "."], root, capsys, monkeypatch)
    document = json.loads(out)
    _check_sarif(document)
    assert len(document["runs"][0]["results"]) == len(text.splitlines())


def test_sarif_golden(tmp_path, capsys, monkeypatch):
    root = copy_case("conflict", tmp_path)
    _, out, _ = run(["--no-config", "--format", "sarif", "."], root, capsys, monkeypatch)
    compare("conflict.sarif", out)


# ------------------------------------------------------------------ exit statuses, CLI


def test_exit_statuses_subprocess(tmp_path):
    clean = copy_case("clean", tmp_path)
    assert run_subprocess(["--no-config", "."], clean).returncode == 0
    missing = copy_case("missing", tmp_path)
    result = run_subprocess(["--no-config", "."], missing)
    assert result.returncode == 1
    assert result.stdout == (GOLDEN / "missing.txt").read_text(encoding="utf-8")
    broken = copy_case("parse_error", tmp_path)
    result = run_subprocess(["--no-config", "."], broken)
    assert result.returncode == 2
    assert "broken.py:8:12: SC001 cannot parse" in result.stdout
    assert "good.py:4:1: SC101" in result.stdout  # the rest is still checked


def test_nonexistent_path(tmp_path, capsys, monkeypatch):
    code, out, err = run(["--no-config", "nowhere.py"], tmp_path, capsys, monkeypatch)
    assert code == 2 and out == ""
    assert "error: no such file or directory: nowhere.py" in err
    result = run_subprocess(["nowhere.py"], tmp_path)
    assert result.returncode == 2
    assert "no such file or directory: nowhere.py" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "the following arguments are required: PATH"),
        (["--format", "xml", "."], "invalid choice: 'xml'"),
        (["--ignore", "SC999", "."], "unknown diagnostic code(s): SC999"),
        (["--config", "missing.toml", "."], "no such configuration file: missing.toml"),
        (["--config", "x.toml", "--no-config", "."], "not allowed with argument"),
    ],
)
def test_usage_errors(args, message, tmp_path, capsys, monkeypatch):
    code, out, err = run(args, tmp_path, capsys, monkeypatch)
    assert code == 2
    assert message in err


def test_no_python_files(tmp_path, capsys, monkeypatch):
    (tmp_path / "README").write_text("nothing here\n")
    code, out, err = run(["--no-config", "."], tmp_path, capsys, monkeypatch)
    assert code == 0 and out == "" and "no Python files" in err


def test_ignore_option_and_summary(tmp_path, capsys, monkeypatch):
    root = copy_case("blocking", tmp_path)
    code, out, err = run(["--no-config", "--ignore", "SC107,sc103", "."], root, capsys, monkeypatch)
    assert code == 0 and out == ""
    assert "0 finding(s) in 1 file(s)" in err
    code, out, err = run(["--no-config", "-q", "."], root, capsys, monkeypatch)
    assert code == 1 and err == ""


def test_extra_roots_and_blocking_from_cli(tmp_path, capsys, monkeypatch):
    (tmp_path / "m.py").write_text(
        "import mylib\n\ndef f():\n    mylib.switch()\n\ndef g():\n    f()\n    mylib.slow()\n"
    )
    code, out, _ = run(
        ["--no-config", "--root", "mylib.switch", "--blocking", "mylib.slow", "."], tmp_path, capsys, monkeypatch
    )
    assert code == 1
    assert out.splitlines() == [
        "m.py:3:1: SC101 function 'm.f' may suspend but is not annotated @coroutine_fn: m.f -> mylib.switch",
        "m.py:6:1: SC101 function 'm.g' may suspend but is not annotated @coroutine_fn: m.g -> m.f -> mylib.switch",
        "m.py:8:5: SC107 coroutine function 'm.g' calls blocking 'mylib.slow'",
    ]


def test_output_file(tmp_path, capsys, monkeypatch):
    root = copy_case("missing", tmp_path)
    report = tmp_path / "report.json"
    code, out, _ = run(["--no-config", "--format", "json", "-o", str(report), "."], root, capsys, monkeypatch)
    assert code == 1 and out == ""
    assert len(json.loads(report.read_text())["diagnostics"]) == 4


def test_deterministic_and_sorted(tmp_path, capsys, monkeypatch):
    root = copy_case("crossmod", tmp_path)
    _, first, _ = run(["--no-config", "pkg", "app.py"], root, capsys, monkeypatch)
    _, second, _ = run(["--no-config", "app.py", "pkg"], root, capsys, monkeypatch)
    assert first == second
    keys = []
    for line in first.splitlines():
        path, lineno, col, rest = line.split(":", 3)
        keys.append((path, int(lineno), int(col), rest.split()[0]))
    assert keys == sorted(keys)


def test_python_dash_m_matches_in_process(tmp_path, capsys, monkeypatch):
    root = copy_case("methods", tmp_path)
    _, out, _ = run(["--no-config", "."], root, capsys, monkeypatch)
    assert run_subprocess(["--no-config", "."], root).stdout == out


# ------------------------------------------------------------------ config and exclusions


def test_config_is_found_from_the_path(tmp_path, capsys, monkeypatch):
    """Run from elsewhere: the pyproject.toml next to the checked tree counts,
    and its relative excludes are relative to it."""
    root = copy_case("config", tmp_path)
    code, out, _ = run([str(root)], tmp_path, capsys, monkeypatch)
    assert code == 1
    assert "generated" not in out
    assert "SC102" not in out
    assert out.count("SC107") == 2
    code, out, _ = run(["--no-config", str(root)], tmp_path, capsys, monkeypatch)
    # Without the configuration nothing is known of lib: no findings at all.
    assert code == 0 and out == ""


def test_config_explicit_file(tmp_path, capsys, monkeypatch):
    root = copy_case("config", tmp_path)
    other = tmp_path / "other.toml"
    other.write_text('[tool.stackful.check]\nroots = ["lib.slow_io"]\n')
    code, out, _ = run(["--config", str(other), "app.py", "lib.py"], root, capsys, monkeypatch)
    assert "app.task" in out and "lib.slow_io" in out


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[tool.stackful.check]\nroot = ["x"]\n', "unknown key 'root'"),
        ('[tool.stackful.check]\nroots = "x"\n', "roots must be a list of strings"),
        ('[tool.stackful.check]\nexternal = "yes"\n', "external must be true or false"),
        ('[tool.stackful.check]\nentry-points = ["a.b:1-2"]\n', "bad argument selector"),
        ('[tool.stackful.check]\nignore = ["SC555"]\n', "unknown diagnostic code(s): SC555"),
        ("[tool.stackful.check\n", "pyproject.toml"),
    ],
)
def test_config_errors(toml, message, tmp_path, capsys, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(toml)
    (tmp_path / "m.py").write_text("x = 1\n")
    code, _, err = run(["."], tmp_path, capsys, monkeypatch)
    assert code == 2
    assert message in err


def test_exclude_option_and_explicit_files(tmp_path, capsys, monkeypatch):
    root = copy_case("crossmod", tmp_path)
    code, out, _ = run(["--no-config", "--exclude", "sub", "."], root, capsys, monkeypatch)
    assert "pkg/sub/" not in out and "app.py" in out
    code, out, _ = run(["--no-config", "--exclude", "pkg/sub/*.py", "."], root, capsys, monkeypatch)
    assert "pkg/sub/" not in out
    # A file named on the command line is checked even when excluded.
    code, out, _ = run(["--no-config", "--exclude", "leaf.py", "pkg/sub/leaf.py"], root, capsys, monkeypatch)
    assert "pkg/sub/leaf.py:4:1: SC101" in out


# ------------------------------------------------------------------ --fix


FIX_FILES = ["plain.py", "aliased.py", "bare.py", "noimport.py"]


def test_fix_golden_and_idempotent(tmp_path, capsys, monkeypatch):
    root = copy_case("fix", tmp_path)
    code, out, err = run(["--no-config", "--fix", "."], root, capsys, monkeypatch)
    assert code == 0 and out == ""
    assert "added 9 @coroutine_fn decorator(s) in 4 file(s)" in err
    once = {name: (root / name).read_bytes() for name in FIX_FILES}
    for name in FIX_FILES:
        compare(f"fix/{name}", once[name].decode("utf-8"))
    code, out, err = run(["--no-config", "--fix", "."], root, capsys, monkeypatch)
    assert code == 0 and "added" not in err
    assert {name: (root / name).read_bytes() for name in FIX_FILES} == once


def test_fix_only_adds_lines(tmp_path, capsys, monkeypatch):
    root = copy_case("fix", tmp_path)
    before = {name: (root / name).read_text().splitlines() for name in FIX_FILES}
    run(["--no-config", "--fix", "."], root, capsys, monkeypatch)
    for name in FIX_FILES:
        after = (root / name).read_text().splitlines()
        added = list(after)
        for line in before[name]:
            added.remove(line)  # every original line is still there, in order
        assert all(a.strip().endswith("coroutine_fn") for a in added), added
        it = iter(after)
        assert all(line in it for line in before[name])


def test_fix_preserves_bytes_crlf_and_encoding(tmp_path, capsys, monkeypatch):
    source = (
        "# -*- coding: latin-1 -*-\r\n"
        "import stackful\r\n"
        "\r\n"
        "TEXT = 'caf\xe9'   \r\n"
        "def f():\r\n"
        "\tstackful.suspend()  # trailing spaces stay   \r\n"
    ).encode("latin-1")
    path = tmp_path / "enc.py"
    path.write_bytes(source)
    code, _, _ = run(["--no-config", "--fix", "enc.py"], tmp_path, capsys, monkeypatch)
    assert code == 0
    fixed = path.read_bytes()
    assert fixed == source.replace(b"def f():", b"@stackful.coroutine_fn\r\ndef f():")
    run(["--no-config", "--fix", "enc.py"], tmp_path, capsys, monkeypatch)
    assert path.read_bytes() == fixed


def test_fix_leaves_other_findings(tmp_path, capsys, monkeypatch):
    root = copy_case("blocking", tmp_path)
    before = (root / "app.py").read_bytes()
    code, out, _ = run(["--no-config", "--fix", "."], root, capsys, monkeypatch)
    assert code == 1 and "SC107" in out
    assert (root / "app.py").read_bytes() == before  # nothing to add there


# ------------------------------------------------------------------ --dot


def test_dot_png_without_graphviz(tmp_path, capsys, monkeypatch):
    root = copy_case("subtle", tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    code, _, err = run(["--no-config", "--dot", str(tmp_path / "graph.png"), "."], root, capsys, monkeypatch)
    assert code == 1
    assert "no 'dot' binary on PATH" in err
    assert not (tmp_path / "graph.png").exists()
    assert (tmp_path / "graph.dot").read_text().startswith("digraph stackful {")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
def test_dot_renders_svg(tmp_path, capsys, monkeypatch):
    root = copy_case("subtle", tmp_path)
    run(["--no-config", "--dot", str(tmp_path / "graph.svg"), "."], root, capsys, monkeypatch)
    assert "<svg" in (tmp_path / "graph.svg").read_text()


# ------------------------------------------------------------------ the checker on stackful itself


def test_the_roots_list_every_suspending_call_of_the_runtime():
    # Every public function and method of the runtime, sockets and TLS annotated
    # @coroutine_fn (so known to suspend) is a root of the checker, and no root names
    # something that does not exist.
    import stackful.runtime
    import stackful.socket
    import stackful.ssl
    from stackful.check._config import DEFAULT_ROOTS, RUNTIME_SUSPENDING, SOCKET_SUSPENDING

    def suspending(module, skip=()):
        names = set()
        for name in set(module.__all__) - set(skip):
            value = getattr(module, name)
            if isinstance(value, type):
                for attr in dir(value):
                    if attr.startswith("_") and attr not in ("__enter__", "__exit__", "__iter__"):
                        continue
                    if getattr(getattr(value, attr), "__stackful_coroutine_fn__", False):
                        names.add(f"{name}.{attr}")
            elif getattr(value, "__stackful_coroutine_fn__", False):
                names.add(name)
        return names

    assert suspending(stackful.runtime) == set(RUNTIME_SUSPENDING)
    assert ({"stackful.socket." + n for n in suspending(stackful.socket, ["SocketType"])}
            | {"stackful.ssl." + n for n in suspending(stackful.ssl)}) == set(SOCKET_SUSPENDING)
    for name in RUNTIME_SUSPENDING:
        assert "stackful." + name in DEFAULT_ROOTS and "stackful.runtime." + name in DEFAULT_ROOTS


def test_stackful_sources_are_correctly_annotated(capsys, monkeypatch):
    package = Path(cli.__file__).resolve().parents[1]
    code, out, err = run(["--no-config", str(package)], package.parent, capsys, monkeypatch)
    assert code == 0, out + err


# ------------------------------------------------------------------ details


def test_unicode_columns_are_characters(tmp_path, capsys, monkeypatch):
    (tmp_path / "u.py").write_text(
        'import time\nfrom stackful import coroutine_fn, suspend\n\n\n@coroutine_fn\ndef f():\n'
        '    s = "h\u00e9llo"; time.sleep(1)\n    suspend()\n',
        encoding="utf-8",
    )
    code, out, _ = run(["--no-config", "u.py"], tmp_path, capsys, monkeypatch)
    assert out == "u.py:7:18: SC107 coroutine function 'u.f' calls blocking 'time.sleep'\n"


def test_async_def_is_not_a_stackful_function(tmp_path, capsys, monkeypatch):
    # Calling an ``async def`` function only creates an awaitable: no edge.
    (tmp_path / "a.py").write_text(
        "import stackful\n\nasync def a():\n    stackful.suspend()\n\ndef b():\n    return a()\n"
    )
    code, out, _ = run(["--no-config", "a.py"], tmp_path, capsys, monkeypatch)
    assert (code, out) == (0, "")


def test_main_guard_spelled_backwards(tmp_path, capsys, monkeypatch):
    (tmp_path / "m.py").write_text(
        "import stackful\n\nif '__main__' == __name__:\n    stackful.suspend()\n"
    )
    code, out, _ = run(["--no-config", "m.py"], tmp_path, capsys, monkeypatch)
    assert out == (
        "m.py:4:5: SC106 coroutine function 'stackful.suspend' called from 'm.<main>', which runs "
        'outside any coroutine: it is the `if __name__ == "__main__"` block\n'
    )


def test_root_reexported_from_an_extension_module(tmp_path, capsys, monkeypatch):
    """Checking a package that re-exports its primitive from a C extension
    (as stackful does): the public spelling still matches the roots, also
    through a local alias."""
    package = tmp_path / "fakepkg"
    package.mkdir()
    (package / "__init__.py").write_text("from ._core import pause\n")
    (package / "use.py").write_text(
        "import fakepkg\n\n\ndef f():\n    p = fakepkg.pause\n    p()\n"
    )
    code, out, _ = run(["--no-config", "--root", "fakepkg.pause", "fakepkg"], tmp_path, capsys, monkeypatch)
    assert out == (
        "fakepkg/use.py:4:1: SC101 function 'fakepkg.use.f' may suspend but is not annotated "
        "@coroutine_fn: fakepkg.use.f -> fakepkg._core.pause\n"
    )
