"""Read a OneRoster 1.1 CSV bundle (a folder or a .zip) into plain dataclasses.

Pure: no database. Anything malformed is refused with a `RosterError` before a single
row is written anywhere. The refusal lists every bad line it found (file, line and
reason; the first 100 are kept, the rest counted), so an export is fixed in one pass.

No file or zip member larger than `MAX_FILE_BYTES` is read: files are read in chunks
and reading stops one byte past the cap, whatever size a zip's header declares, so a
small hostile zip cannot inflate into memory.

What real exports do, and what we accept:
- `users.csv` columns in any order, matched by name (case and surrounding spaces
  ignored); unknown extra columns (vendor metadata) are ignored;
- a UTF-8 byte-order mark, CRLF or LF line ends;
- `enabledUser` as TRUE/true/1/yes or FALSE/false/0/no (empty means enabled);
- an empty `status` (active), `active`, `tobedeleted` or `inactive` (not active);
- `dateLastModified` empty, a date, or a date and time;
- anything in `userIds` (we do not store it);
- a filled `password` column: it is dropped here and never reaches the database;
- rows of other roles (teachers, administrators, ...): skipped, and counted.

Families link from either side: a student's `agentSourcedIds` may name guardians, a
guardian's may name students; both count. Agents of any other role (a teacher) are
ignored; an id that is not in `users.csv` at all is refused.
"""

from __future__ import annotations

import csv
import io
import os
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO

from kiosk.errors import RosterError, RosterProblem
from kiosk.gc_pause import paused_gc

USERS = "users.csv"
ORGS = "orgs.csv"
MANIFEST = "manifest.csv"
BUNDLE_FILES = (USERS, ORGS, MANIFEST)

USERS_HEADER = (
    "sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role",
    "username", "userIds", "givenName", "familyName", "middleName", "identifier", "email",
    "sms", "phone", "agentSourcedIds", "grades", "password",
)
ORGS_HEADER = ("sourcedId", "status", "dateLastModified", "name", "type", "identifier",
               "parentSourcedId")
MANIFEST_HEADER = ("propertyName", "value")

# Columns without which a file cannot be read; the others may be left out.
USERS_REQUIRED = ("sourcedId", "status", "enabledUser", "orgSourcedIds", "role",
                  "givenName", "familyName", "agentSourcedIds")
ORGS_REQUIRED = ("sourcedId", "name", "type")

STUDENT_ROLE = "student"
GUARDIAN_ROLES = frozenset({"parent", "guardian", "relative"})
ORG_TYPES = frozenset({"department", "school", "district", "local", "state", "national"})

_TRUE = frozenset({"true", "1", "yes", "y", "t"})
_FALSE = frozenset({"false", "0", "no", "n", "f"})
_ACTIVE = frozenset({"", "active"})
_NOT_ACTIVE = frozenset({"tobedeleted", "inactive"})
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf"})

# The database column widths (kiosk/db/models.py).
MAX_ID = 255
MAX_NAME = 255
MAX_EMAIL = 255
MAX_USERNAME = 255
MAX_STUDENT_NUMBER = 64
MAX_GRADES = 64
MAX_ORG_TYPE = 32
# The csv module's own default; one field larger than this is not a roster.
MAX_FIELD = 131_072
# No roster file is read past this size (a district of 150,000 students is ~60 MB).
MAX_FILE_BYTES = 256 * 1024 * 1024
_READ_CHUNK = 1024 * 1024


class RosterBundleError(RosterError):
    """The bundle as a whole cannot be read (missing file, not a zip, ...)."""

    message = "{file}: {reason}"


@dataclass(frozen=True, slots=True)
class RosterOrg:
    sourced_id: str
    name: str
    org_type: str
    active: bool


@dataclass(frozen=True, slots=True)
class RosterStudent:
    sourced_id: str
    given_name: str
    family_name: str
    student_number: str
    username: str  # canonical (lower case); "" when the export has none
    grades: str
    school_sourced_id: str | None
    enrolled: bool  # status active and enabledUser true


@dataclass(frozen=True, slots=True)
class RosterGuardian:
    sourced_id: str
    given_name: str
    family_name: str
    email: str
    role: str  # parent, guardian or relative
    active: bool


@dataclass(frozen=True)
class Roster:
    """One full snapshot of the district, as read from the bundle."""

    source: str
    orgs: tuple[RosterOrg, ...]
    students: tuple[RosterStudent, ...]
    guardians: tuple[RosterGuardian, ...]
    # (guardian sourcedId, student sourcedId), from either side of the family.
    links: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    # Rows of users.csv that are neither students nor guardians (teachers, ...).
    skipped: int = 0


def clean_text(value: str) -> str:
    """Collapse whitespace and drop control and format characters (Cc, Cf)."""
    text = " ".join(value.split())
    if text.isprintable():
        return text
    kept = "".join(ch for ch in text if unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    return " ".join(kept.split())


# --- reading the bundle ---------------------------------------------------------------

def read_bundle(path: str | Path) -> dict[str, bytes]:
    """The bundle's files by canonical name (`users.csv`, ...), from a folder or a zip."""
    bundle = Path(path)
    name = str(bundle)
    if bundle.is_dir():
        return _read_folder(bundle)
    if not bundle.exists():
        raise RosterBundleError(file=name, reason="no such file or folder")
    not_a_bundle = RosterBundleError(
        file=name, reason="not a folder or a .zip of OneRoster CSV files")
    if not bundle.is_file():  # a device or a pipe: never read from
        raise not_a_bundle
    try:
        with zipfile.ZipFile(bundle) as archive:
            return _read_zip(archive, name)
    except (zipfile.BadZipFile, zipfile.LargeZipFile):
        raise not_a_bundle from None
    except OSError as exc:
        raise RosterBundleError(file=name, reason=f"cannot read it ({exc.strerror})") from None


def _too_big(file: str) -> RosterBundleError:
    return RosterBundleError(
        file=file, reason=f"it is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB, far more "
                          "than any district's roster; it was not read")


def _read_capped(stream: IO[bytes], file: str) -> bytes:
    """Everything in `stream`, read in chunks; refused as soon as it passes the cap."""
    buffer = io.BytesIO()
    left = MAX_FILE_BYTES + 1
    while left > 0:
        chunk = stream.read(min(_READ_CHUNK, left))
        if not chunk:
            return buffer.getvalue()
        buffer.write(chunk)
        left -= len(chunk)
    raise _too_big(file)


def _read_folder(folder: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for entry in sorted(folder.iterdir()):
        canonical = entry.name.lower()
        if canonical in BUNDLE_FILES and entry.is_file():
            if canonical in files:
                raise RosterBundleError(file=folder.name,
                                        reason=f"two files are named {canonical}")
            try:
                with entry.open("rb") as stream:
                    if os.fstat(stream.fileno()).st_size > MAX_FILE_BYTES:
                        raise _too_big(entry.name)
                    files[canonical] = _read_capped(stream, entry.name)
            except OSError as exc:
                raise RosterBundleError(
                    file=entry.name, reason=f"cannot read it ({exc.strerror})") from None
    return files


def _read_zip(archive: zipfile.ZipFile, name: str) -> dict[str, bytes]:
    """Files at the top of the zip, or inside one folder of it (as some exports do).

    A member's declared size is not trusted: it is read in chunks up to the cap.
    """
    files: dict[str, bytes] = {}
    for info in archive.infolist():
        if info.is_dir():
            continue
        parts = info.filename.replace("\\", "/").split("/")
        canonical = parts[-1].lower()
        if canonical not in BUNDLE_FILES or len(parts) > 2 or parts[0].startswith("__MACOSX"):
            continue
        if canonical in files:
            raise RosterBundleError(file=name, reason=f"two files are named {canonical}")
        member = f"{name}/{info.filename}"
        try:
            with archive.open(info) as stream:
                files[canonical] = _read_capped(stream, member)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError,
                EOFError, zlib.error) as exc:
            raise RosterBundleError(file=member, reason=f"cannot be unpacked ({exc})") from None
    return files


def parse_roster(path: str | Path) -> Roster:
    """Read and check a whole bundle; raise `RosterError` listing every problem found."""
    bundle = Path(path)
    return parse_files(read_bundle(bundle), source=bundle.name or str(bundle))


def parse_files(files: Mapping[str, bytes], source: str = "") -> Roster:
    """Parse the bundle's files given as bytes by canonical name (`users.csv`, ...)."""
    with paused_gc():
        return _parse_files(files, source)


class _Problems:
    """Every problem found: the first `RosterError.SHOWN` kept, all of them counted."""

    def __init__(self) -> None:
        self.kept: list[RosterProblem] = []
        self.total = 0
        self.first: RosterError | None = None

    def add(self, error: RosterError) -> None:
        if self.first is None:
            self.first = error
        room = RosterError.SHOWN - len(self.kept)
        if room > 0:
            self.kept.extend(error.problems[:room])
        self.total += error.total

    def check(self) -> None:
        """Raise the problems found, if any: one as itself, several as one `RosterError`."""
        if self.first is None:
            return
        if self.total == 1:
            raise self.first
        order = {name: index for index, name in enumerate((MANIFEST, ORGS, USERS))}
        kept = sorted(self.kept, key=lambda p: (order.get(p.file, -1), p.line or 0))
        raise RosterError(problems=kept, total=self.total)


def _parse_files(files: Mapping[str, bytes], source: str) -> Roster:
    problems = _Problems()
    where = source or "the bundle"
    if USERS not in files:
        problems.add(RosterBundleError(file=where, reason=f"it has no {USERS}"))
    if ORGS not in files:
        problems.add(RosterBundleError(file=where, reason=f"it has no {ORGS} (the schools)"))
    if MANIFEST in files:
        _check_manifest(files[MANIFEST], problems)
    orgs: tuple[RosterOrg, ...] = ()
    named: set[str] | None = None
    if ORGS in files:
        orgs, named = _parse_orgs(files[ORGS], problems)
    roster = None
    if USERS in files:
        roster = _parse_users(files[USERS], {org.sourced_id: org for org in orgs}, named,
                              source, orgs, problems)
    problems.check()
    assert roster is not None  # no problems: users.csv was read
    return roster


# --- CSV plumbing ---------------------------------------------------------------------

def _decode(data: bytes, file: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RosterError(file=file, line=line,
                          reason="the file is not UTF-8 text (save it as CSV UTF-8)") from None


def _records(data: bytes, file: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, fields) for every non-blank record."""
    reader = csv.reader(io.StringIO(_decode(data, file), newline=""), strict=True)
    previous = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise RosterError(file=file, line=reader.line_num or 1,
                              reason=f"the CSV is malformed ({exc})") from None
        start = previous + 1
        previous = reader.line_num
        if row and (row[0].strip() or any(cell.strip() for cell in row)):
            yield start, row


def _header(records: Iterator[tuple[int, list[str]]], file: str, known: tuple[str, ...],
            required: tuple[str, ...]) -> tuple[int, dict[str, int], int]:
    """The header line's number, the column index of each known column, and the width."""
    try:
        line, cells = next(records)
    except StopIteration:
        raise RosterError(file=file, line=1, reason="the file is empty") from None
    by_lower = {name.lower(): name for name in known}
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = by_lower.get(cell.strip().lstrip("\ufeff").lower())
        if name is None:
            continue  # an extra column (vendor metadata): ignored
        if name in columns:
            raise RosterError(file=file, line=line, reason=f"the column {name} appears twice")
        columns[name] = index
    missing = [name for name in required if name not in columns]
    if missing:
        raise RosterError(
            file=file, line=line,
            reason=f"the header lacks the column(s) {', '.join(missing)}; expected "
                   f"{','.join(known)}")
    return line, columns, len(cells)


def _check_width(file: str, line: int, row: list[str], width: int) -> None:
    if len(row) != width:
        raise RosterError(file=file, line=line,
                          reason=f"expected {width} fields as in the header, found {len(row)}")


def _identifier(file: str, line: int, column: str, value: str) -> str:
    text = value.strip()
    if not text:
        raise RosterError(file=file, line=line, reason=f"{column} is empty")
    if len(text) > MAX_ID:
        raise RosterError(file=file, line=line,
                          reason=f"{column} is longer than {MAX_ID} characters")
    if not text.isprintable():
        raise RosterError(file=file, line=line,
                          reason=f"{column} contains control or invisible characters")
    return text


def _text(file: str, line: int, column: str, value: str, limit: int) -> str:
    text = " ".join(value.split())
    if not text.isprintable():
        text = clean_text(text)
    if len(text) > limit:
        raise RosterError(file=file, line=line,
                          reason=f"{column} is longer than {limit} characters")
    return text


def _active(file: str, line: int, value: str) -> bool:
    status = value.strip().lower()
    if status in _ACTIVE:
        return True
    if status in _NOT_ACTIVE:
        return False
    raise RosterError(file=file, line=line,
                      reason=f"unknown status {value.strip()!r} (expected active, "
                             "tobedeleted or empty)")


def _enabled(file: str, line: int, value: str) -> bool:
    flag = value.strip().lower()
    if flag in _TRUE or not flag:
        return True
    if flag in _FALSE:
        return False
    raise RosterError(file=file, line=line,
                      reason=f"enabledUser must be true or false, not {value.strip()!r}")


def _check_date(file: str, line: int, value: str) -> None:
    text = value.strip()
    if not text:
        return
    try:
        if len(text) == 10:
            date.fromisoformat(text)
        else:
            datetime.fromisoformat(text)
    except ValueError:
        raise RosterError(file=file, line=line,
                          reason=f"dateLastModified {text!r} is not a date or date-time") from None


def _id_list(value: str) -> list[str]:
    if "," not in value:
        single = value.strip()
        return [single] if single else []
    return [part.strip() for part in value.split(",") if part.strip()]


# --- manifest.csv and orgs.csv ---------------------------------------------------------

def _check_manifest(data: bytes, problems: _Problems) -> None:
    records = _records(data, MANIFEST)
    try:
        _line, columns, width = _header(records, MANIFEST, MANIFEST_HEADER, MANIFEST_HEADER)
        for line, row in records:
            try:
                _check_manifest_row(line, row, columns, width)
            except RosterError as error:
                problems.add(error)
    except RosterError as error:  # no header, or the CSV itself is broken: stop here
        problems.add(error)


def _check_manifest_row(line: int, row: list[str], columns: Mapping[str, int],
                        width: int) -> None:
    _check_width(MANIFEST, line, row, width)
    name = row[columns["propertyName"]].strip().lower()
    value = row[columns["value"]].strip().lower()
    if name == "oneroster.version" and value and not value.startswith("1.1"):
        raise RosterError(file=MANIFEST, line=line,
                          reason=f"this is a OneRoster {value} bundle; the kiosk reads "
                                 "OneRoster 1.1")
    if name == "file.users" and value == "delta":
        raise RosterError(file=MANIFEST, line=line,
                          reason="users.csv is a delta export; a roster import needs a "
                                 "full (bulk) export")
    if name == "file.users" and value == "absent":
        raise RosterError(file=MANIFEST, line=line,
                          reason="the manifest says users.csv is absent")


def _parse_orgs(data: bytes,
                problems: _Problems) -> tuple[tuple[RosterOrg, ...], set[str] | None]:
    """The good orgs, and every sourcedId the file names (None: the file could not be read,
    so references to orgs are not checked, rather than each reported as unknown)."""
    records = _records(data, ORGS)
    try:
        _line, columns, width = _header(records, ORGS, ORGS_HEADER, ORGS_REQUIRED)
    except RosterError as error:
        problems.add(error)
        return (), None
    c_id, c_name, c_type = columns["sourcedId"], columns["name"], columns["type"]
    c_status = columns.get("status")
    c_date = columns.get("dateLastModified")
    seen: dict[str, int] = {}
    orgs: list[RosterOrg] = []
    try:
        for line, row in records:
            try:
                _check_width(ORGS, line, row, width)
                sourced_id = _identifier(ORGS, line, "sourcedId", row[c_id])
                if sourced_id in seen:
                    raise RosterError(file=ORGS, line=line,
                                      reason=f"sourcedId {sourced_id!r} appears twice (first "
                                             f"on line {seen[sourced_id]})")
                seen[sourced_id] = line
                name = _text(ORGS, line, "name", row[c_name], MAX_NAME)
                if not name:
                    raise RosterError(file=ORGS, line=line, reason="name is empty")
                org_type = row[c_type].strip().lower()
                if org_type not in ORG_TYPES:
                    raise RosterError(
                        file=ORGS, line=line,
                        reason=f"unknown org type {row[c_type].strip()!r} (expected one of "
                               f"{', '.join(sorted(ORG_TYPES))})")
                active = _active(ORGS, line, row[c_status]) if c_status is not None else True
                if c_date is not None:
                    _check_date(ORGS, line, row[c_date])
                orgs.append(RosterOrg(sourced_id, name, org_type, active))
            except RosterError as error:
                problems.add(error)
                if len(row) > c_id and row[c_id].strip():
                    seen.setdefault(row[c_id].strip(), line)
    except RosterError as error:  # the CSV itself is broken: the rest is unread
        problems.add(error)
        return tuple(orgs), None
    return tuple(orgs), set(seen)


# --- users.csv --------------------------------------------------------------------------

@dataclass(slots=True)
class _Agents:
    line: int
    role: str  # "student", "guardian", "other", or "bad" (the row was refused)
    agents: list[str]


class _Cells:
    """Checks of cells that repeat a lot (status, flags, dates, org lists), memoised."""

    def __init__(self, file: str, orgs: Mapping[str, RosterOrg],
                 named: set[str] | None) -> None:
        self.file = file
        self.orgs = orgs
        self.named = named  # every sourcedId orgs.csv names; None: do not check
        self.active: dict[str, bool] = {}
        self.enabled: dict[str, bool] = {}
        self.dates: set[str] = set()
        self.org_lists: dict[str, tuple[tuple[str, ...], str | None]] = {}

    def is_active(self, line: int, value: str) -> bool:
        known = self.active.get(value)
        if known is None:
            known = self.active[value] = _active(self.file, line, value)
        return known

    def is_enabled(self, line: int, value: str) -> bool:
        known = self.enabled.get(value)
        if known is None:
            known = self.enabled[value] = _enabled(self.file, line, value)
        return known

    def check_date(self, line: int, value: str) -> None:
        if value not in self.dates:
            _check_date(self.file, line, value)
            self.dates.add(value)

    def org_list(self, line: int, value: str) -> tuple[tuple[str, ...], str | None]:
        """The org ids named, and the school among them; every id must be in orgs.csv."""
        known = self.org_lists.get(value)
        if known is None:
            org_ids = tuple(_id_list(value))
            named = self.named if self.named is not None else org_ids
            for org_id in org_ids:
                if org_id not in named:
                    raise RosterError(file=self.file, line=line,
                                      reason=f"orgSourcedIds names {org_id!r}, which is not in "
                                             f"{ORGS}")
            known = self.org_lists[value] = (org_ids, _school(org_ids, self.orgs))
        return known


def _parse_users(data: bytes, orgs: Mapping[str, RosterOrg], named: set[str] | None,
                 source: str, org_list: tuple[RosterOrg, ...],
                 problems: _Problems) -> Roster | None:
    """The roster, or None when users.csv cannot be read at all (the problem is recorded)."""
    file = USERS
    records = _records(data, file)
    try:
        _line, columns, width = _header(records, file, USERS_HEADER, USERS_REQUIRED)
    except RosterError as error:
        problems.add(error)
        return None
    # The password column is never looked up: its value is dropped with the row.
    c_id, c_status, c_enabled = columns["sourcedId"], columns["status"], columns["enabledUser"]
    c_orgs, c_role = columns["orgSourcedIds"], columns["role"]
    c_given, c_family = columns["givenName"], columns["familyName"]
    c_agents = columns["agentSourcedIds"]
    c_date = columns.get("dateLastModified")
    c_username = columns.get("username")
    c_number = columns.get("identifier")
    c_email = columns.get("email")
    c_grades = columns.get("grades")

    cells = _Cells(file, orgs, named)
    users: dict[str, _Agents] = {}
    students: list[RosterStudent] = []
    guardians: list[RosterGuardian] = []
    skipped = 0
    try:
        for line, row in records:
            sourced_id = ""
            try:
                if len(row) != width:
                    _check_width(file, line, row, width)
                sourced_id = row[c_id].strip()
                if not sourced_id or len(sourced_id) > MAX_ID or not sourced_id.isprintable():
                    _identifier(file, line, "sourcedId", sourced_id)
                if sourced_id in users:
                    raise RosterError(file=file, line=line,
                                      reason=f"sourcedId {sourced_id!r} appears twice (first "
                                             f"on line {users[sourced_id].line})")
                role_text = row[c_role].strip().lower()
                if not role_text:
                    raise RosterError(file=file, line=line, reason="role is empty")
                active = (cells.is_active(line, row[c_status])
                          & cells.is_enabled(line, row[c_enabled]))
                if c_date is not None:
                    cells.check_date(line, row[c_date])
                _org_ids, school = cells.org_list(line, row[c_orgs])
                if role_text == STUDENT_ROLE:
                    role = "student"
                elif role_text in GUARDIAN_ROLES:
                    role = "guardian"
                else:
                    users[sourced_id] = _Agents(line, "other", [])
                    skipped += 1
                    continue
                users[sourced_id] = _Agents(line, role, _id_list(row[c_agents]))
                given = _text(file, line, "givenName", row[c_given], MAX_NAME)
                family = _text(file, line, "familyName", row[c_family], MAX_NAME)
                if not given and not family:
                    raise RosterError(file=file, line=line,
                                      reason="givenName and familyName are both empty")
                if role == "student":
                    students.append(RosterStudent(
                        sourced_id=sourced_id, given_name=given, family_name=family,
                        student_number=_optional(file, line, row, c_number, "identifier",
                                                 MAX_STUDENT_NUMBER),
                        username=_optional(file, line, row, c_username, "username",
                                           MAX_USERNAME).lower(),
                        grades=_optional(file, line, row, c_grades, "grades", MAX_GRADES),
                        school_sourced_id=school, enrolled=active))
                else:
                    guardians.append(RosterGuardian(
                        sourced_id=sourced_id, given_name=given, family_name=family,
                        email=_optional(file, line, row, c_email, "email", MAX_EMAIL),
                        role=role_text, active=active))
            except RosterError as error:
                problems.add(error)
                # Known but refused: rows naming it are not reported as well.
                key = sourced_id or (row[c_id].strip() if len(row) > c_id else "")
                if key and key not in users:
                    users[key] = _Agents(line, "bad", [])
    except RosterError as error:  # the CSV itself is broken: the rest is unread
        problems.add(error)
    return Roster(source=source, orgs=org_list, students=tuple(students),
                  guardians=tuple(guardians), links=_links(users, problems), skipped=skipped)


def _optional(file: str, line: int, row: list[str], column: int | None, name: str,
              limit: int) -> str:
    return "" if column is None else _text(file, line, name, row[column], limit)


def _school(org_ids: Sequence[str], orgs: Mapping[str, RosterOrg]) -> str | None:
    """The first listed org that is a school, else the first listed org."""
    listed = [org_id for org_id in org_ids if org_id in orgs]
    for org_id in listed:
        if orgs[org_id].org_type == "school":
            return org_id
    return listed[0] if listed else None


def _links(users: Mapping[str, _Agents], problems: _Problems) -> frozenset[tuple[str, str]]:
    links: set[tuple[str, str]] = set()
    for sourced_id, user in users.items():
        if user.role in {"other", "bad"}:
            continue
        for agent_id in user.agents:
            agent = users.get(agent_id)
            if agent is None:
                problems.add(RosterError(file=USERS, line=user.line,
                                         reason=f"agentSourcedIds names {agent_id!r}, which "
                                                f"is not in {USERS}"))
            elif user.role == "student" and agent.role == "guardian":
                links.add((agent_id, sourced_id))
            elif user.role == "guardian" and agent.role == "student":
                links.add((sourced_id, agent_id))
            # Any other pairing (a teacher, a student naming a student) is ignored.
    return frozenset(links)
