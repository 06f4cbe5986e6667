"""systemd units for a district's services: `kiosk serve`, `kiosk signin serve`, and a
nightly `kiosk roster import` (a service and its timer).

Each runs as its own OS user, from the one install path (/opt/portal-kiosk), reads the
host's settings file, and is confined: the whole file system read-only
(ProtectSystem=strict) except what it must write, home folders read-only (each user's
~/.pgpass, database password file and ~/.postgresql/root.crt are read there), no new
privileges, no capabilities, its own /tmp and /dev. `kiosk install-units` writes
them; the text here is also what docs/deploy.md shows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

INSTALL_PREFIX = "/opt/portal-kiosk"
UNIT_DIR = Path("etc/systemd/system")
ROSTER_DIR = "/var/lib/portal-kiosk/roster"

# The same confinement for every unit; each adds only the paths it needs.
HARDENING = """\
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
CapabilityBoundingSet=
AmbientCapabilities=
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
SystemCallArchitectures=native
UMask=0077
"""


@dataclass(frozen=True)
class UnitOptions:
    prefix: str = INSTALL_PREFIX
    serve_port: int = 8000
    public_url: str = "https://kiosk.example.org"
    signin_port: int = 8080
    issuer: str = "https://signin.example.org"
    roster: str = f"{ROSTER_DIR}/oneroster.zip"
    import_time: str = "*-*-* 02:30:00"


def units(options: UnitOptions = UnitOptions()) -> dict[str, str]:
    """File name -> content of every unit."""
    kiosk = f"{options.prefix}/bin/kiosk"
    serve_url, issuer = f"--public-url {options.public_url}", f"--issuer {options.issuer}"
    return {
        "portal-kiosk-serve.service": f"""\
[Unit]
Description=Portal Kiosk in web browsers (kiosk serve)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=kiosk-web
Group=kiosk-web
ExecStart={kiosk} serve --host 127.0.0.1 --port {options.serve_port} {serve_url}
Restart=on-failure
RestartSec=5
KillMode=mixed
TimeoutStopSec=20
{HARDENING}ReadOnlyPaths=/etc/portal-kiosk

[Install]
WantedBy=multi-user.target
""",
        "portal-kiosk-signin.service": f"""\
[Unit]
Description=Portal Kiosk sign-in provider (kiosk signin serve)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=kiosk-signin
Group=kiosk-signin
ExecStart={kiosk} signin serve --host 127.0.0.1 --port {options.signin_port} {issuer}
Restart=on-failure
RestartSec=5
{HARDENING}ReadOnlyPaths=/etc/portal-kiosk

[Install]
WantedBy=multi-user.target
""",
        "portal-kiosk-roster-import.service": f"""\
[Unit]
Description=Portal Kiosk nightly roster import (kiosk roster import)
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
User=kiosk-import
Group=kiosk-import
ExecStart={kiosk} roster import {options.roster}
{HARDENING}ReadOnlyPaths=/etc/portal-kiosk {ROSTER_DIR}
""",
        "portal-kiosk-roster-import.timer": f"""\
[Unit]
Description=Nightly Portal Kiosk roster import

[Timer]
OnCalendar={options.import_time}
Persistent=true
RandomizedDelaySec=10min

[Install]
WantedBy=timers.target
""",
    }


def install_units(root: Path, options: UnitOptions = UnitOptions()) -> list[Path]:
    """Write every unit under `root`/etc/systemd/system (0644); the paths written."""
    folder = root / UNIT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in units(options).items():
        path = folder / name
        temporary = path.with_name(f".{name}.new")
        temporary.write_text(text, encoding="utf-8")
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
        written.append(path)
    return written
