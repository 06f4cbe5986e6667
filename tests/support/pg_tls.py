"""A throwaway PostgreSQL with TLS on and password (SCRAM) authentication, for tests of
what a client without the CA certificate, or with a wrong password, is told.

`TlsPostgresServer.launch(password)` makes a private CA and a server certificate for
127.0.0.1 with Debian's `openssl`, runs initdb with the superuser's password, and starts
the server with `ssl = on`. `ca_file` is the CA certificate a client needs.
"""

from __future__ import annotations

import os
import pwd
import subprocess
from pathlib import Path

from .pg_server import SERVER_USER, PostgresServer


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


class TlsPostgresServer(PostgresServer):
    password = ""

    @property
    def tls_dir(self) -> Path:
        return self.base_dir / "tls"

    @property
    def ca_file(self) -> Path:
        return self.tls_dir / "ca.crt"

    def url_with(self, *, password: str | None = None, ca_file: Path | None = None,
                 user: str = "postgres", database: str = "postgres") -> str:
        secret = f":{password}" if password is not None else ""
        query = "sslmode=verify-full" + (f"&sslrootcert={ca_file}" if ca_file else "")
        return (f"postgresql+psycopg://{user}{secret}@{self.host}:{self.port}/{database}"
                f"?{query}")

    def _make_certificates(self) -> None:
        tls = self.tls_dir
        tls.mkdir()
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
                 "-out", "ca.crt", "-days", "2", "-subj", "/CN=kiosk test CA", cwd=tls)
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
                 "-out", "server.csr", "-subj", "/CN=127.0.0.1", cwd=tls)
        (tls / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
        _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", "server.crt", "-days", "2",
                 "-extfile", "san.ext", cwd=tls)
        os.chmod(tls / "server.key", 0o600)
        if self.as_root:
            user = pwd.getpwnam(SERVER_USER)
            for path in (tls, *tls.iterdir()):
                os.chown(path, user.pw_uid, user.pw_gid)

    def init(self) -> None:
        self._make_certificates()
        pwfile = self.base_dir / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self.as_root:
            user = pwd.getpwnam(SERVER_USER)
            os.chown(pwfile, user.pw_uid, user.pw_gid)
        self._run("initdb", "-D", str(self.datadir), "-A", "scram-sha-256",
                  f"--pwfile={pwfile}", "-U", "postgres", "-E", "UTF8", "--locale=C",
                  "--no-sync")
        pwfile.unlink()
        self._initialised = True

    def _server_options(self) -> str:
        return (super()._server_options()
                + f" -c ssl=on -c ssl_cert_file={self.tls_dir / 'server.crt'}"
                + f" -c ssl_key_file={self.tls_dir / 'server.key'}")

    def write_hba(self, lines: list[str]) -> None:
        """Replace pg_hba.conf with `lines` and reload: the server then lets in only
        those (a deploy test keeps TLS-only `hostssl` lines, as the docs do)."""
        hba = self.datadir / "pg_hba.conf"
        hba.write_text("\n".join(lines) + "\n")
        if self.as_root:
            user = pwd.getpwnam(SERVER_USER)
            os.chown(hba, user.pw_uid, user.pw_gid)
        self._run("pg_ctl", "-D", str(self.datadir), "reload")

    def libpq_environment(self) -> dict[str, str]:
        """libpq's variables that make a bare `psql` (as the docs run it) reach this
        server as its superuser, through its unix socket."""
        return {"PGHOST": str(self.base_dir), "PGPORT": str(self.port),
                "PGUSER": "postgres", "PGPASSWORD": self.password}

    @classmethod
    def launch_with_password(cls, password: str) -> TlsPostgresServer:
        server = cls()
        server.password = password
        return server.init_and_start()
