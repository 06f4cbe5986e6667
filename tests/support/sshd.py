"""A private OpenSSH server for end-to-end tests, configured like the recipe in docs/staff.md.

It listens on 127.0.0.1 at a free port, from a config, host key and authorized_keys
in a temporary folder, accepts only the one client key it generated, runs every
session through `ForceCommand`, and refuses forwarding. Only the sshd started here
is ever stopped, by its PID.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

SSHD = Path("/usr/sbin/sshd")
PRIVILEGE_SEPARATION_DIR = Path("/run/sshd")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kiosk-e2e",
                    "-f", str(path)], check=True, capture_output=True, timeout=60)


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path,
                    timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sshd exited with {process.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"sshd did not listen on port {port}:\n{log.read_text()}")


@dataclass
class PrivateSshd:
    directory: Path
    port: int
    user: str
    client_key: Path
    process: subprocess.Popen[bytes]
    log: Path
    _stopped: bool = field(default=False, repr=False)

    @classmethod
    def start(cls, directory: Path, force_command: str,
              environment: Mapping[str, str]) -> PrivateSshd:
        """Write the config, keys and authorized_keys, then start `sshd -D` on them."""
        if not SSHD.exists():
            raise RuntimeError("OpenSSH server is not installed: apt-get install openssh-server")
        if not PRIVILEGE_SEPARATION_DIR.is_dir():
            # sshd refuses to start without its privilege separation directory.
            PRIVILEGE_SEPARATION_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
        directory.mkdir(parents=True, exist_ok=True)
        host_key, client_key = directory / "host_key", directory / "client_key"
        _keygen(host_key)
        _keygen(client_key)
        authorized = directory / "authorized_keys"
        shutil.copyfile(client_key.with_suffix(".pub"), authorized)
        authorized.chmod(0o600)
        user = getpass.getuser()
        port = free_port()
        set_env = " ".join(f"{name}={value}" for name, value in environment.items())
        config = directory / "sshd_config"
        config.write_text("\n".join([
            f"Port {port}",
            "ListenAddress 127.0.0.1",
            f"HostKey {host_key}",
            f"PidFile {directory / 'sshd.pid'}",
            f"AuthorizedKeysFile {authorized}",
            "StrictModes no",
            "UsePAM no",
            f"AllowUsers {user}",
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "AuthenticationMethods publickey",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitUserEnvironment no",
            "DisableForwarding yes",
            "PermitTTY yes",
            f"ForceCommand {force_command}",
            *([f"SetEnv {set_env}"] if set_env else []),
            "LogLevel VERBOSE",
            "",
        ]), encoding="utf-8")
        check = subprocess.run([str(SSHD), "-t", "-f", str(config)], capture_output=True,
                               text=True, timeout=30)
        if check.returncode != 0:
            raise RuntimeError(f"sshd -t refused the config: {check.stderr}")
        log = directory / "sshd.log"
        with log.open("wb") as log_file:
            process = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(config)],
                                       stdout=log_file, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL)
        server = cls(directory=directory, port=port, user=user, client_key=client_key,
                     process=process, log=log)
        try:
            _wait_listening(port, process, log)
        except BaseException:
            server.stop()
            raise
        return server

    def ssh_command(self, *remote_command: str, tty: bool = False,
                    options: tuple[str, ...] = ()) -> list[str]:
        """An `ssh` command line for this server with the generated client key.

        `options` come first, so an `-o` there wins over the defaults here.
        """
        return ["ssh", *options, *(["-tt"] if tty else ["-T"]), "-i", str(self.client_key),
                "-p", str(self.port), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=ERROR", "-F", "/dev/null", f"{self.user}@127.0.0.1",
                *remote_command]

    def client_environment(self) -> dict[str, str]:
        env = {name: value for name, value in os.environ.items()
               if not name.startswith(("KIOSK_", "SSH_"))}
        env["TERM"] = "xterm-256color"
        return env

    def stop(self) -> None:
        """Stop the sshd this object started (by its PID), and nothing else."""
        if self._stopped:
            return
        self._stopped = True
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
