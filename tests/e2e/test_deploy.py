"""The deploy page followed on a test machine: a private PostgreSQL with TLS on, two OS
users made for the test, each with its own settings, CA certificate and password.

What runs is the docs' own shell, taken from the code blocks of docs/postgresql.md and
docs/install.md, with only the names a district would change replaced (the database
host and port, the CA certificate's path, the OS user, its role and password, the
roster's path, /etc/portal-kiosk): if a documented command stops working as written,
this test fails. What a test machine cannot do is left out: apt-get, the server's own
certificate (tests/support/pg_tls.py makes one for 127.0.0.1 the same way), systemd.

The host's settings file: the code reads /etc/portal-kiosk/kiosk.toml only when
KIOSK_CONFIG is unset, and no setting moves that path, so the test never writes the real
/etc: every command runs with KIOSK_CONFIG naming the install page's file, written to a
folder of its own (the install page documents KIOSK_CONFIG as the host's file).

Steps, as on the deploy page: the migration role `kiosk` and the database `kiosk`
(postgresql.md step 1), TLS-only `hostssl` lines (step 2), the host's settings file
(install.md), each OS user's CA certificate, password and own settings file naming its
role (step 3), then, as the migration role, `kiosk db upgrade` and `kiosk db roles
--apply` and the administrator's ALTER ROLE ... PASSWORD (step 4); then user 1, the
nightly import's user, imports the first roster and prints the letters as
`kiosk_import`, and user 2, the lobby's user, runs `kiosk doctor --role lobby` as
`kiosk_lobby` (step 5) and it passes. Every kiosk command runs as
`runuser -u USER -- kiosk ...` with HOME the user's home, as a login would.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.pg_tls import TlsPostgresServer

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.postgres]

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
ROSTER = REPO / "tests" / "data" / "roster" / "basic"
SUPERUSER_PASSWORD = "deploy-test-superuser-4Kp"
# The password the docs' step 1 gives the migration role.
MIGRATION_PASSWORD = "change-me"


# --- the docs' code blocks ---------------------------------------------------------------

def doc_blocks(page: str, heading: str) -> list[str]:
    """The ```sh blocks of the section of docs/`page` whose heading contains `heading`."""
    blocks: list[str] = []
    in_section = False
    fence: list[str] | None = None  # the lines of the code block being read
    keep = False  # whether that block is an sh block of the section
    for line in (DOCS / page).read_text(encoding="utf-8").splitlines():
        if fence is not None:
            if line.startswith("```"):
                if keep:
                    blocks.append("\n".join(fence) + "\n")
                fence = None
            else:
                fence.append(line)
        elif line.startswith("```"):
            fence, keep = [], in_section and line.strip() == "```sh"
        elif line.startswith("#"):
            in_section = heading in line
    assert blocks, f"{page}: no sh block in a section named {heading!r}"
    return blocks


def substituted(script: str, replacements: dict[str, str]) -> str:
    """`script` with the district's own names in place of the docs' examples; each
    example must occur, so a renamed example in the docs is noticed here."""
    for old, new in replacements.items():
        assert old in script, f"the docs' block no longer holds {old!r}:\n{script}"
        script = script.replace(old, new)
    return script


def commands(script: str, start: str) -> list[str]:
    """The lines of a block that begin with `start` (comments stripped)."""
    lines = [line.split("   #", 1)[0].rstrip() for line in script.splitlines()]
    return [line for line in lines if line.startswith(start)]


# --- running things ----------------------------------------------------------------------

def shell(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a piece of the docs' shell as root (the docs' commands run as root)."""
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=env,
                            capture_output=True, text=True, timeout=120, check=False,
                            cwd="/")
    assert result.returncode == 0, (f"{script}\n--- stdout\n{result.stdout}\n"
                                    f"--- stderr\n{result.stderr}")
    return result


def _run(*args: str, cwd: Path | None = None) -> str:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300,
                            check=False)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def install_kiosk(place: Path) -> Path:
    """install.md's install, into `place`/opt/portal-kiosk: a venv made by the system's
    python3 (the test's own may live where other OS users cannot run it, as a CI checkout
    in a 0700 folder does) and a wheel built from this source tree, its dependencies
    installed by pip as install.md does, pinned to the versions the tests run with."""
    source = place / "source"
    shutil.copytree(REPO, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "artifacts",
        ".*_cache"))
    wheels = place / "wheels"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
         "-w", str(wheels), ".", cwd=source)
    shutil.rmtree(source)
    opt = place / "opt" / "portal-kiosk"
    _run("/usr/bin/python3", "-m", "venv", str(opt))
    constraints = place / "constraints.txt"
    constraints.write_text(_run(sys.executable, "-m", "pip", "freeze", "--exclude-editable"))
    _run(str(opt / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
         "-c", str(constraints), *map(str, wheels.glob("*.whl")))
    kiosk = opt / "bin" / "kiosk"
    _run(str(kiosk), "--help")
    return kiosk


@dataclass
class Host:
    """The test's stand-ins for a district's machines: the database server and the
    folder that holds /etc/portal-kiosk (KIOSK_CONFIG names the settings file in it)."""

    server: TlsPostgresServer
    etc: Path  # stands in for /etc/portal-kiosk
    bin: Path  # stands in for /usr/local/bin, with install.md's `kiosk` link
    kiosk: Path  # stands in for /opt/portal-kiosk/bin/kiosk

    @property
    def settings_file(self) -> Path:
        return self.etc / "kiosk.toml"

    def root_env(self, **extra: str) -> dict[str, str]:
        path = f"{self.bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        return {"PATH": path, "LANG": "C.UTF-8", **extra}

    def user_env(self, home: Path) -> dict[str, str]:
        """What a login shell of the user has, plus KIOSK_CONFIG for the host's file."""
        return self.root_env(HOME=str(home), KIOSK_CONFIG=str(self.settings_file))

    def kiosk_as(self, user: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["runuser", "-u", user, "--", str(self.kiosk), *args],
                              env=self.user_env(home), cwd=home, capture_output=True,
                              text=True, timeout=300, check=False)

    def psql(self, sql: str) -> str:
        result = subprocess.run(["psql", "-X", "-A", "-t", "-d", "kiosk", "-c", sql],
                                env=self.root_env(**self.server.libpq_environment()),
                                capture_output=True, text=True, timeout=60, check=True)
        return result.stdout.strip()


@pytest.fixture
def host() -> Iterator[Host]:
    if os.geteuid() != 0:
        pytest.fail("the deploy test makes OS users (useradd): run it as root, as CI does",
                    pytrace=False)
    server = TlsPostgresServer.launch_with_password(SUPERUSER_PASSWORD)
    # Readable by the test's OS users, unlike pytest's tmp_path (0700, root's).
    place = Path(tempfile.mkdtemp(prefix="kiosk-deploy-"))
    try:
        place.chmod(0o755)
        (place / "etc").mkdir(mode=0o755)
        (place / "bin").mkdir(mode=0o755)
        kiosk = install_kiosk(place)
        (place / "bin" / "kiosk").symlink_to(kiosk)
        yield Host(server, place / "etc", place / "bin", kiosk)
    finally:
        server.cleanup()
        shutil.rmtree(place, ignore_errors=True)


@pytest.fixture
def os_users() -> Iterator[list[tuple[str, Path]]]:
    """Two OS users with unique names and their homes, removed again (`userdel -r`)."""
    made: list[tuple[str, Path]] = []
    try:
        for _ in range(2):
            name = f"kd{uuid.uuid4().hex[:10]}"
            subprocess.run(["useradd", "--create-home", "--user-group", "--shell", "/bin/bash",
                            name], check=True, capture_output=True, timeout=60)
            home = Path(subprocess.run(["getent", "passwd", name], check=True,
                                       capture_output=True, text=True,
                                       timeout=60).stdout.split(":")[5])
            made.append((name, home))
        yield made
    finally:
        for name, _home in made:
            subprocess.run(["userdel", "-r", name], capture_output=True, timeout=60,
                           check=False)


# --- the steps -----------------------------------------------------------------------------

def make_database(host: Host) -> None:
    """postgresql.md step 1 (its psql lines) and step 2's pg_hba.conf lines."""
    step1 = doc_blocks("postgresql.md", "1. The migration role and the database")[0]
    env = host.root_env(**host.server.libpq_environment())
    shell("\n".join(commands(step1, "runuser -u postgres -- psql")), env)
    step2 = doc_blocks("postgresql.md", "2. TLS")
    hba = [line for block in step2 for line in block.splitlines()
           if line.startswith("hostssl")]
    assert hba, "postgresql.md step 2 has no hostssl lines"
    # The docs' networks become this machine; no plain `host` line, so only TLS gets in.
    host.server.write_hba(
        ["local    all  postgres  scram-sha-256",
         *(re.sub(r"\d+\.\d+\.\d+\.\d+/\d+", "127.0.0.1/32", line) for line in hba)])


def write_host_settings(host: Host) -> None:
    """install.md, "The settings file", with /etc/portal-kiosk moved to the test's folder."""
    block = doc_blocks("install.md", "The settings file")[0]
    shell(substituted(block, {"/etc/portal-kiosk": str(host.etc),
                              "db.lakeside.example.org": f"127.0.0.1:{host.server.port}"}),
          host.root_env())


def set_up_user(host: Host, user: str, role: str, password: str, *,
                password_file: bool) -> None:
    """postgresql.md step 3 for one OS user: the CA certificate, the password (in
    ~/.pgpass, or with `password_file` in a 0600 file named by database_password_file),
    and its own settings file naming its role."""
    certificate, settings = doc_blocks(
        "postgresql.md", "3. On every host, for the OS user that runs the kiosk")
    names = {"db.district.example": "127.0.0.1", ":5432": f":{host.server.port}",
             "kiosk_lobby": role}
    step = substituted(certificate, {**names, "U=kiosk;": f"U={user};",
                                     "/root/kiosk-ca.crt": str(host.server.ca_file),
                                     "the-lobby-password": password})
    if password_file:  # the docs' alternative to .pgpass
        step = "\n".join(line for line in step.splitlines() if ".pgpass" not in line)
        step += ("\nprintf '%s\\n' '" + password + "' | runuser -u $U -- tee "
                 "$H/.kiosk-db-password >/dev/null\nchmod 600 $H/.kiosk-db-password\n")
    own = substituted(settings, names)
    if password_file:
        own += ("printf 'database_password_file = \"%s\"\\n' $H/.kiosk-db-password "
                "| runuser -u $U -- tee -a $H/.config/portal-kiosk/kiosk.toml\n")
    shell(step + "\n" + own, host.root_env())


def set_up_administrator(host: Host, home: Path) -> None:
    """The migration role's own set-up on the administrator's host (step 4: `kiosk` as
    the URL's user and its password in .pgpass), here root's commands with their own
    HOME so that /root is not touched."""
    (home / ".postgresql").mkdir(parents=True, mode=0o700)
    shutil.copy(host.server.ca_file, home / ".postgresql" / "root.crt")
    pgpass = home / ".pgpass"
    pgpass.write_text(f"127.0.0.1:{host.server.port}:kiosk:kiosk:{MIGRATION_PASSWORD}\n")
    pgpass.chmod(0o600)
    (home / ".config" / "portal-kiosk").mkdir(parents=True)
    (home / ".config" / "portal-kiosk" / "kiosk.toml").write_text(
        f'database_url = "postgresql://kiosk@127.0.0.1:{host.server.port}/kiosk'
        '?sslmode=verify-full"\n')


def test_deploy_page_gives_an_importing_host_and_a_green_lobby_doctor(
        host: Host, os_users: list[tuple[str, Path]], tmp_path: Path) -> None:
    (importer, importer_home), (lobby, lobby_home) = os_users
    passwords = {"kiosk_import": "import-host-password-8Rw",
                 "kiosk_lobby": "lobby-host-password-3Zt"}

    make_database(host)
    write_host_settings(host)
    set_up_user(host, importer, "kiosk_import", passwords["kiosk_import"],
                password_file=False)
    set_up_user(host, lobby, "kiosk_lobby", passwords["kiosk_lobby"], password_file=True)

    # Step 4, as the migration role: the schema, the host roles, their passwords.
    admin_home = tmp_path / "admin"
    set_up_administrator(host, admin_home)
    step4 = doc_blocks("postgresql.md", "4. Once for the district, as the migration role")
    shell("\n".join(commands(step4[0], "kiosk db ")),
          host.root_env(HOME=str(admin_home), KIOSK_CONFIG=str(host.settings_file)))
    alter = commands(step4[0], "runuser -u postgres -- psql")
    assert len(alter) == 1, step4[0]
    shell("\n".join(substituted(alter[0], {"kiosk_lobby": role, "the-lobby-password": pw})
                    for role, pw in passwords.items()),
          host.root_env(**host.server.libpq_environment()))

    # User 1, the nightly import's OS user, as kiosk_import: the first roster, then the
    # letters (both as step 4 shows them).
    roster = importer_home / "oneroster"
    shutil.copytree(ROSTER, roster)
    shell(f"chown -R {importer}:{importer} {roster}", host.root_env())
    first = commands(step4[1], "kiosk ")
    assert [line.split()[1:3] for line in first] == [["roster", "import"], ["keys", "issue"]]
    imported = host.kiosk_as(importer, importer_home,
                             *substituted(first[0], {"/srv/oneroster/district.zip":
                                                     str(roster)}).split()[1:])
    assert imported.returncode == 0, imported.stdout + imported.stderr
    letters = host.kiosk_as(importer, importer_home, *first[1].split()[1:])
    assert letters.returncode == 0, letters.stdout + letters.stderr
    assert (importer_home / "letters.pdf").read_bytes().startswith(b"%PDF")
    assert host.psql("SELECT count(*) FROM guardians") != "0"
    assert host.psql("SELECT DISTINCT actor FROM audit_events WHERE actor LIKE 'cli:%' "
                     "ORDER BY 1") == f"cli:{importer}"

    # User 2, the lobby's OS user, as kiosk_lobby: the doctor passes every check.
    doctor = host.kiosk_as(lobby, lobby_home, "doctor", "--role", "lobby")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "FAIL" not in doctor.stdout
    assert "as role kiosk_lobby" in doctor.stdout
    assert doctor.stdout.rstrip().endswith("Everything this kiosk needs is in place.")
