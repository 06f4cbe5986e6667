"""The install path of docs/install.md, done for real: build the wheel from this working
tree, install it into a fresh virtual environment, and use it from there.

The wheel is built from a copy of the tree (so the build leaves nothing in the
repository), with `pip wheel --no-deps`, as the install page says. The fresh venv gets
the wheel and its dependencies from the package index (pip's cache makes a second run
quick), pinned to the versions of the venv running the tests, so a new release of a
dependency cannot change what this test means. Nothing of the project's own venv or
source tree is importable in the new one: commands run from an empty folder.

What is checked is what a host needs at run time: `kiosk --help`, `kiosk db upgrade`
on a new SQLite file (the migrations), the style sheets the apps name (wherever the
package data puts them), the Spanish catalog, and the browser and sign-in pages'
templates, style sheet and fonts.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from kiosk.db.migrate import head_revision

REPO = Path(__file__).resolve().parents[2]
# What a wheel is built from: the packages and the files pyproject names.
SOURCES = ("pyproject.toml", "README.md", "kiosk", "screens", "styles")

pytestmark = pytest.mark.slow


def _run(command: list[str], *, cwd: Path, env: dict[str, str], timeout: int = 300
         ) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout, stdin=subprocess.DEVNULL, check=False)
    assert result.returncode == 0, (command, result.stdout[-3000:], result.stderr[-3000:])
    return result


def _clean_env(home: Path) -> dict[str, str]:
    """No KIOSK_ settings, no PYTHONPATH, no project venv on PATH."""
    keep = {"LANG", "LC_ALL", "TERM", "TMPDIR", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL",
            "PIP_CACHE_DIR", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "HTTPS_PROXY",
            "HTTP_PROXY", "NO_PROXY"}
    env = {name: value for name, value in os.environ.items() if name in keep}
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    env["HOME"] = str(home)
    env.setdefault("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """(the built wheel, the fresh venv, the environment to run it with)."""
    work = tmp_path_factory.mktemp("wheel-install")
    home = work / "home"
    home.mkdir()
    env = _clean_env(home)
    source = work / "source"
    source.mkdir()
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, source / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif path.exists():
            shutil.copy2(path, source / name)
    dist = work / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(dist), str(source)],
         cwd=work, env=env)
    (wheel,) = dist.glob("portal_kiosk-*.whl")
    pins = _run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"], cwd=work,
                env=env).stdout
    constraints = work / "constraints.txt"
    constraints.write_text("".join(line + "\n" for line in pins.splitlines()
                                   if "==" in line and not line.lower().startswith(
                                       "portal-kiosk")))
    venv = work / "venv"
    base_python = getattr(sys, "_base_executable", sys.executable)
    _run([base_python, "-m", "venv", str(venv)], cwd=work, env=env)
    _run([str(venv / "bin" / "pip"), "install", "-c", str(constraints), str(wheel)],
         cwd=work, env=env, timeout=600)
    return wheel, venv, env


def test_the_wheel_holds_the_migrations_catalog_pages_and_style_sheets(
        installed: tuple[Path, Path, dict[str, str]]) -> None:
    wheel, _venv, _env = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    migrations = {n for n in names if n.startswith("kiosk/db/migrations/versions/")
                  and n.endswith(".py")}
    assert len(migrations) == len(list(
        (REPO / "kiosk/db/migrations/versions").glob("*.py"))), sorted(names)
    assert {"kiosk/db/migrations/env.py", "kiosk/db/migrations/script.py.mako",
            "kiosk/locale/es/LC_MESSAGES/kiosk.mo", "kiosk/web/templates/app_index.html",
            "kiosk/signin/templates/login.html", "kiosk/signin/static/signin.css"} <= names
    sheets = {n for n in names if n.endswith(".tcss")}
    assert sheets, "no .tcss style sheet in the wheel"


def test_kiosk_help_runs_from_the_fresh_venv(
        installed: tuple[Path, Path, dict[str, str]], tmp_path: Path) -> None:
    _wheel, venv, env = installed
    result = _run([str(venv / "bin" / "kiosk"), "--help"], cwd=tmp_path, env=env)
    assert "Usage:" in result.stdout and "db" in result.stdout


def test_kiosk_db_upgrade_makes_the_schema_from_the_installed_migrations(
        installed: tuple[Path, Path, dict[str, str]], tmp_path: Path) -> None:
    _wheel, venv, env = installed
    database = tmp_path / "kiosk.db"
    run_env = {**env, "KIOSK_DATABASE_URL": f"sqlite:///{database}"}
    _run([str(venv / "bin" / "kiosk"), "db", "upgrade"], cwd=tmp_path, env=run_env)
    with sqlite3.connect(database) as connection:
        (version,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        tables = {name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert version == head_revision()
    assert {"accounts", "guardians", "audit_events", "signin_tokens"} <= tables


PROBE = textwrap.dedent('''
    import json, sys
    from pathlib import Path
    import kiosk, textual_serve
    from kiosk.app import KioskApp
    from kiosk.staff_app import StaffApp
    from kiosk.i18n import translator
    from kiosk.web.server import TEMPLATES_DIR

    def sheets(app):
        paths = app.CSS_PATH if isinstance(app.CSS_PATH, list) else [app.CSS_PATH]
        folder = Path(sys.modules[app.__module__].__file__).parent
        return [str(folder / p) for p in paths]

    template = (TEMPLATES_DIR / "app_index.html").read_text()
    fonts = Path(textual_serve.__file__).parent / "static" / "fonts"
    print(json.dumps({
        "kiosk": kiosk.__file__,
        "sheets": sheets(KioskApp) + sheets(StaffApp),
        "spanish": translator("es")("Reference:"),
        "template": str(TEMPLATES_DIR / "app_index.html"),
        "fonts": [str(fonts / name) for name in ("RobotoMono-VariableFont_wght.ttf",
                                                 "RobotoMono-Italic-VariableFont_wght.ttf")
                  if name in template],
    }))
''')


def test_the_installed_apps_find_their_style_sheets_catalog_template_and_fonts(
        installed: tuple[Path, Path, dict[str, str]], tmp_path: Path) -> None:
    _wheel, venv, env = installed
    found = json.loads(_run([str(venv / "bin" / "python"), "-c", PROBE], cwd=tmp_path,
                            env=env).stdout)
    assert Path(found["kiosk"]).is_relative_to(venv), found["kiosk"]
    assert found["sheets"]
    for sheet in found["sheets"]:
        assert Path(sheet).is_relative_to(venv) and Path(sheet).is_file(), sheet
    assert found["spanish"] == "Referencia:"
    assert Path(found["template"]).is_file()
    assert found["fonts"], "the browser page names no font served by the kiosk"
    for font in found["fonts"]:
        assert Path(font).is_file(), font
