"""Staff console first frame over SSH: `ssh -tt` to `ForceCommand kiosk staff` vs a bare app.

A clerk pays this at every login: the SSH handshake, the forced command's start, and
the console's first frame. Two private sshd processes listen on 127.0.0.1, built from
one configuration (the recipe in docs/staff.md: a temporary folder, a generated host
key and client key, public key only) that differs only in `ForceCommand`: `kiosk staff`
on a migrated SQLite database, or the bare one-Input Textual app of the cold-start row.
Each run spawns `ssh -tt` on a fresh pseudo-terminal and is timed until the login
screen's text (or the bare app's) appears on it, escape sequences stripped; the client
is then killed, which ends the remote session. One unmeasured run of each first fills
the bytecode caches; the runs then alternate, so background load hits both alike.

Only the sshd processes started here are stopped, by their PIDs.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from bench.bare_app import MARKER as BARE_MARKER
from bench.cold_start import BARE_APP, StartFailed, time_to_text
from bench.report import Row, median, ms, progress, ratio_row

TARGET = 1.3
FIGURE = "staff console first frame over SSH vs bare one-Input app"
STAFF_MARKER = "Portal Kiosk: staff console"
SSHD = Path("/usr/sbin/sshd")
PRIVILEGE_SEPARATION_DIR = Path("/run/sshd")


class SshdFailed(RuntimeError):
    """The private sshd could not be configured or did not start listening."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kiosk-bench",
                    "-f", str(path)], check=True, capture_output=True, timeout=60)


class PrivateSshd:
    """One `sshd -D` on 127.0.0.1 at a free port, running `force_command` for every session."""

    def __init__(self, directory: Path, host_key: Path, client_key: Path, force_command: str,
                 environment: Mapping[str, str]) -> None:
        self.client_key = client_key
        self.port = _free_port()
        self.user = getpass.getuser()
        authorized = directory / "authorized_keys"
        set_env = " ".join(f"{name}={value}" for name, value in environment.items())
        config = directory / f"sshd_config-{self.port}"
        config.write_text("\n".join([
            f"Port {self.port}", "ListenAddress 127.0.0.1", f"HostKey {host_key}",
            f"PidFile {directory / f'sshd-{self.port}.pid'}",
            f"AuthorizedKeysFile {authorized}", "StrictModes no", "UsePAM no",
            f"AllowUsers {self.user}", "PermitRootLogin prohibit-password",
            "AuthenticationMethods publickey", "PasswordAuthentication no",
            "KbdInteractiveAuthentication no", "PermitUserEnvironment no",
            "DisableForwarding yes", "PermitTTY yes", f"ForceCommand {force_command}",
            *([f"SetEnv {set_env}"] if set_env else []), "LogLevel ERROR", "",
        ]), encoding="utf-8")
        check = subprocess.run([str(SSHD), "-t", "-f", str(config)], capture_output=True,
                               text=True, timeout=30)
        if check.returncode != 0:
            raise SshdFailed(f"sshd -t refused the config: {check.stderr.strip()}")
        self.log = directory / f"sshd-{self.port}.log"
        with self.log.open("wb") as log_file:
            self.process = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(config)],
                                            stdout=log_file, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)
        try:
            self._wait_listening()
        except BaseException:
            self.stop()
            raise

    def _wait_listening(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SshdFailed(f"sshd exited with {self.process.returncode}: "
                                 f"{self.log.read_text(errors='replace')[-300:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise SshdFailed(f"sshd did not listen on port {self.port}")

    def ssh_argv(self) -> list[str]:
        """`ssh -tt` to this server with the generated key; no user config, no host check."""
        return ["ssh", "-tt", "-F", "/dev/null", "-i", str(self.client_key),
                "-p", str(self.port), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=ERROR", f"{self.user}@127.0.0.1"]

    def stop(self) -> None:
        """Stop the sshd started here, by its PID, and nothing else."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def kiosk_staff_command() -> str:
    """`kiosk staff` from the console script beside this Python (as a real host installs it)."""
    script = Path(sys.executable).with_name("kiosk")
    if script.exists():
        return f"{script} staff"
    return f"{sys.executable} -m kiosk.cli staff"


def start_servers(directory: Path, database_url: str) -> tuple[PrivateSshd, PrivateSshd]:
    """The kiosk's sshd and the bare app's sshd: the same keys, settings and configuration."""
    if not SSHD.exists() or shutil.which("ssh") is None:
        raise SshdFailed("OpenSSH is not installed: apt-get install openssh-server "
                         "openssh-client")
    # sshd refuses to start without its privilege separation directory.
    PRIVILEGE_SEPARATION_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
    directory.mkdir(parents=True, exist_ok=True)
    host_key, client_key = directory / "host_key", directory / "client_key"
    _keygen(host_key)
    _keygen(client_key)
    authorized = directory / "authorized_keys"
    shutil.copyfile(client_key.with_suffix(".pub"), authorized)
    authorized.chmod(0o600)
    environment = {"KIOSK_DATABASE_URL": database_url, "LANG": "C.UTF-8",
                   "COLORTERM": "truecolor"}
    kiosk = PrivateSshd(directory, host_key, client_key, kiosk_staff_command(), environment)
    try:
        bare = PrivateSshd(directory, host_key, client_key,
                           f"{sys.executable} {BARE_APP}", environment)
    except BaseException:
        kiosk.stop()
        raise
    return kiosk, bare


def client_environment(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("KIOSK_", "SSH_"))}
    env.update(TERM="xterm-256color", LANG="C.UTF-8", HOME=str(home))
    env.pop("TEXTUAL", None)
    return env


def run(database_url: str, work: Path, rounds: int) -> list[Row]:
    target = f"≤ {TARGET:g}×"
    try:
        kiosk, bare = start_servers(work / "staff-sshd", database_url)
    except (SshdFailed, OSError, subprocess.SubprocessError) as failed:
        progress(f"staff console over SSH: skipped: {failed}")
        return [Row.skipped(FIGURE, "sqlite", target, str(failed)[:200])]
    home = work / "staff-ssh-home"
    home.mkdir(exist_ok=True)
    env = client_environment(home)
    progress(f"staff console over SSH: {rounds} runs each of ssh -tt to kiosk staff and "
             "to bare_app.py")
    try:
        time_to_text(bare.ssh_argv(), BARE_MARKER, env, home)  # fill the bytecode caches
        time_to_text(kiosk.ssh_argv(), STAFF_MARKER, env, home)
        kiosk_times: list[float] = []
        bare_times: list[float] = []
        for _ in range(rounds):
            bare_times.append(time_to_text(bare.ssh_argv(), BARE_MARKER, env, home))
            kiosk_times.append(time_to_text(kiosk.ssh_argv(), STAFF_MARKER, env, home))
    except StartFailed as failed:
        return [Row.skipped(FIGURE, "sqlite", target, str(failed)[:200])]
    finally:
        kiosk.stop()
        bare.stop()
    staff, baseline = median(kiosk_times), median(bare_times)
    return [ratio_row(FIGURE, "sqlite", TARGET, staff, baseline,
                      f"{ms(staff)} vs {ms(baseline)}")]


if __name__ == "__main__":
    import argparse
    import tempfile

    from kiosk.db.migrate import upgrade

    parser = argparse.ArgumentParser(prog="python -m bench.staff_ssh",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as scratch:
        url = f"sqlite:///{scratch}/staff.db"
        upgrade(url)
        for row in run(url, Path(scratch), arguments.rounds):
            print(row)
