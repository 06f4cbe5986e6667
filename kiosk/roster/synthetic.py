"""A synthetic district: a OneRoster 1.1 CSV bundle of any size, seeded and reproducible.

    python -m kiosk.roster.synthetic OUT_DIR --students 100000 --seed 7 [--zip]

The same seed and size always give the same bytes. Households have 1-4 students and
1-3 guardians (about 1.5 guardians per student, as in a real district). Names come
from many scripts, and a few are hostile on purpose: brackets that look like Textual
markup, apostrophes, escape sequences and invisible characters. Every quirk of real
exports that the importer accepts shows up: TRUE/true/1, an empty status, a date
without a time, braces in userIds, a filled password column, a byte-order mark and
CRLF, families linked from the student side, the guardian side or both, and teachers
named as agents.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kiosk.roster.parser import MANIFEST, ORGS, ORGS_HEADER, USERS, USERS_HEADER

# (given names, family names) per script.
NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "english": (
        ("Emma", "Liam", "Olivia", "Noah", "Ava", "James", "Sophia", "Lucas", "Mia",
         "Ethan", "Harper", "Mason", "Evelyn", "Logan", "Abigail", "Jack", "Grace",
         "Henry", "Chloe", "Owen", "Mary-Kate", "DeShawn", "Aaliyah", "Jaylen"),
        ("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
         "Taylor", "O'Brien", "O'Connor", "McDonald", "D'Angelo", "Smith-Jones",
         "Washington", "Jackson", "Thompson", "Robinson", "St. James", "Van der Berg"),
    ),
    "latin_accents": (
        ("José", "María", "Zoë", "Chloé", "Łukasz", "Małgorzata", "Søren", "Björn",
         "Ángel", "Inés", "François", "Çağla", "Jürgen", "Renée", "João", "Núria",
         "Anaïs", "Dagný", "Ştefan", "Žofia", "Mikuláš", "Ørjan", "Iñaki", "Gaëlle"),
        ("García", "Muñoz", "Müller", "Dvořák", "Nowak", "Łęcki", "Çelik", "Gonçalves",
         "Peña", "Ibáñez", "Šimić", "Østergaard", "Lefèvre", "Hernández", "Sørensen",
         "Kovačević", "Żukowski", "Nuñez de la Peña", "Ó Súilleabháin", "Brontë"),
    ),
    "cyrillic": (
        ("Александр", "Мария", "Дмитрий", "Анна", "Ольга", "Иван", "Наталья", "Сергей",
         "Юлия", "Олександр", "Катерина", "Богдан", "Світлана", "Ёлка", "Яков"),
        ("Иванова", "Смирнов", "Кузнецова", "Попов", "Шевченко", "Коваленко",
         "Петренко", "Бондаренко", "Соколова", "Лебедев", "Ткаченко", "Мельник"),
    ),
    "greek": (
        ("Γιώργος", "Μαρία", "Νίκος", "Ελένη", "Δημήτρης", "Κατερίνα", "Κώστας",
         "Σοφία", "Παναγιώτης", "Αθηνά", "Χρήστος", "Δέσποινα"),
        ("Παπαδόπουλος", "Παπαδοπούλου", "Νικολάου", "Γεωργίου", "Οικονόμου",
         "Καραγιάννης", "Βασιλείου", "Αντωνίου", "Μακρής", "Ιωάννου"),
    ),
    "arabic": (
        ("محمد", "فاطمة", "أحمد", "عائشة", "يوسف", "مريم", "علي", "زينب", "عمر",
         "ليلى", "خالد", "نور", "حسن", "سلمى"),
        ("العلي", "حداد", "خوري", "الحسن", "منصور", "عبدالله", "الشامي", "النجار",
         "سعيد", "إبراهيم"),
    ),
    "han": (
        ("伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "艳",
         "子涵", "浩然", "欣怡", "宇轩"),
        ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "欧阳", "司马"),
    ),
    "devanagari": (
        ("आरव", "विवान", "अदिति", "प्रिया", "राहुल", "अनन्या", "सुनीता", "अर्जुन",
         "ईशा", "कृष्ण", "लक्ष्मी", "रोहन"),
        ("शर्मा", "वर्मा", "गुप्ता", "सिंह", "पटेल", "कुमार", "जोशी", "मिश्रा",
         "अग्रवाल", "त्रिपाठी"),
    ),
    "vietnamese": (
        ("Minh", "Thảo", "Hùng", "Lan", "Phương", "Đức", "Hương", "Tuấn", "Ngọc",
         "Quỳnh", "Thị Mai", "Văn Long", "Khánh", "Yến"),
        ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
         "Bùi", "Đỗ"),
    ),
    "hangul": (
        ("민준", "서연", "지우", "하은", "도윤", "서준", "지민", "수빈", "예준", "채원",
         "시우", "유나"),
        ("김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "남궁", "황보"),
    ),
}
SCRIPTS = tuple(NAMES)
# Names that try to break a terminal UI: markup, escapes, bidi overrides, invisibles.
TRICKY_NAMES = (
    "[TODO]", "[@click=app.quit]x[/]", "[/b]", "[b]Bold[/b]", "[red]Red[/red]",
    "O'Brien", "D'Artagnan", "\\[escaped]", "Zoë\u202eevil", "Ann\u00admarie",
    "Esc\x1b[31mape", "Clip\x1b]52;c;SGVsbG8=\x07board", "Tab\there", "Zero\u200bWidth",
)
SCHOOL_NAMES = (
    "Lakeside", "Riverside", "Oak Hill", "Maple Grove", "Pine Ridge", "Cedar Park",
    "Willow Creek", "Sunnyvale", "Eastwood", "Westfield", "Northgate", "Southside",
    "Brookhaven", "Fairview", "Hillcrest", "Meadowbrook", "Clearwater", "Stonebridge",
)
GRADE_BANDS = (
    ("Elementary School", ("KG", "01", "02", "03", "04", "05")),
    ("Middle School", ("06", "07", "08")),
    ("High School", ("09", "10", "11", "12")),
)
# Weights over 1..4 students and 1..3 guardians: about 1.5 guardians per student.
STUDENT_WEIGHTS = (75, 20, 4, 1)
GUARDIAN_WEIGHTS = (20, 65, 15)
TRICKY_RATE = 0.004
WITHDRAWN_RATE = 0.01
TEACHER_AGENT_RATE = 0.02
STUDENTS_PER_SCHOOL = 600
FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)
DISTRICT_ID = "org-district"


@dataclass(frozen=True)
class Household:
    """Roster sourcedIds of one generated family."""

    guardian_ids: tuple[str, ...]
    student_ids: tuple[str, ...]


@dataclass(frozen=True)
class District:
    """A generated bundle: its files (canonical name -> bytes) and its households."""

    files: dict[str, bytes]
    households: tuple[Household, ...]
    schools: int
    students: int
    guardians: int
    teachers: int


def generate(students: int, seed: int, *, schools: int | None = None,
             tricky_names: bool = True, withdrawn_rate: float = WITHDRAWN_RATE) -> District:
    """A district of exactly `students` students; the same arguments, the same bytes."""
    if students < 1:
        raise ValueError("a district needs at least one student")
    return _Generator(students, seed, schools, tricky_names, withdrawn_rate).run()


class _Generator:
    def __init__(self, students: int, seed: int, schools: int | None, tricky: bool,
                 withdrawn_rate: float) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
        self.total_students = students
        self.school_count = schools or max(3, -(-students // STUDENTS_PER_SCHOOL))
        self.tricky = tricky
        self.withdrawn_rate = withdrawn_rate
        self.teacher_count = max(1, students // 25)
        self.users: list[list[str]] = []
        self.households: list[Household] = []
        self.guardian_total = 0

    # -- names and quirks ------------------------------------------------------------

    def name(self, script: str, family: bool) -> str:
        if self.tricky and self.rng.random() < TRICKY_RATE:
            return self.rng.choice(TRICKY_NAMES)
        return self.rng.choice(NAMES[script][1 if family else 0])

    def status(self) -> str:
        return self.rng.choice(("active", "active", ""))

    def date(self) -> str:
        return self.rng.choice(("2026-08-14T09:30:00.000Z", "2026-08-14", "",
                                "2026-08-03T17:05:12Z"))

    def enabled(self) -> str:
        return self.rng.choice(("TRUE", "true", "1"))

    def user_ids(self, number: int) -> str:
        kind = self.rng.randrange(4)
        if kind == 0:
            return ""
        if kind == 1:
            return f"{{ldap:{number}}}"
        if kind == 2:
            return f"{{SIS:{number}}},{{google:u{number:x}}}"
        return f"{{Fed:{number}}}"

    def password(self) -> str:
        """Some exports fill the password column; the importer must drop it."""
        if self.rng.random() < 0.7:
            return ""
        return f"Roster-{self.rng.getrandbits(48):012x}!"

    # -- the district ---------------------------------------------------------------

    def schools(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """(sourcedId, name, grades) per school; bands rotate so each exists."""
        result: list[tuple[str, str, tuple[str, ...]]] = []
        for index in range(self.school_count):
            band, grades = GRADE_BANDS[index % len(GRADE_BANDS)]
            base = SCHOOL_NAMES[index % len(SCHOOL_NAMES)]
            suffix = f" {index // len(SCHOOL_NAMES) + 1}" if index >= len(SCHOOL_NAMES) else ""
            result.append((f"sch-{index + 1:04d}", f"{base}{suffix} {band}", grades))
        return result

    def run(self) -> District:
        schools = self.schools()
        teachers = [f"tch-{n + 1:05d}" for n in range(self.teacher_count)]
        made = 0
        guardian_number = 0
        while made < self.total_students:
            size = min(self.rng.choices((1, 2, 3, 4), STUDENT_WEIGHTS)[0],
                       self.total_students - made)
            guardian_count = self.rng.choices((1, 2, 3), GUARDIAN_WEIGHTS)[0]
            student_ids = tuple(f"stu-{made + n + 1:07d}" for n in range(size))
            guardian_ids = tuple(f"gua-{guardian_number + n + 1:07d}"
                                 for n in range(guardian_count))
            made += size
            guardian_number += guardian_count
            self.household(student_ids, guardian_ids, schools, teachers)
        for number, teacher_id in enumerate(teachers, start=1):
            school_id = schools[(number - 1) % len(schools)][0]
            self.users.append([
                teacher_id, self.status(), self.date(), self.enabled(), school_id, "teacher",
                f"teacher{number}", self.user_ids(900000 + number),
                self.rng.choice(NAMES["english"][0]), self.rng.choice(NAMES["english"][1]),
                "", f"T{number:05d}", f"teacher{number}@schools.example.org", "", "", "", "",
                self.password()])
        self.guardian_total = guardian_number
        files = {
            MANIFEST: _csv([("propertyName", "value"), ("manifest.version", "1.0"),
                            ("oneroster.version", "1.1"), ("file.academicSessions", "absent"),
                            ("file.categories", "absent"), ("file.classes", "absent"),
                            ("file.classResources", "absent"), ("file.courses", "absent"),
                            ("file.courseResources", "absent"),
                            ("file.demographics", "absent"), ("file.enrollments", "absent"),
                            ("file.lineItems", "absent"), ("file.orgs", "bulk"),
                            ("file.resources", "absent"), ("file.results", "absent"),
                            ("file.users", "bulk")], crlf=True),
            ORGS: _csv([ORGS_HEADER,
                        (DISTRICT_ID, "active", "2026-08-01", "Synthetic Unified School District",
                         "district", "SUSD", ""),
                        *((sid, self.status(), self.date(), name, "school", sid.upper(),
                           DISTRICT_ID) for sid, name, _grades in schools)], crlf=False),
            USERS: _csv([USERS_HEADER, *self.users], crlf=True, bom=True),
        }
        return District(files=files, households=tuple(self.households),
                        schools=len(schools), students=self.total_students,
                        guardians=guardian_number, teachers=len(teachers))

    def household(self, student_ids: tuple[str, ...], guardian_ids: tuple[str, ...],
                  schools: list[tuple[str, str, tuple[str, ...]]],
                  teachers: list[str]) -> None:
        rng = self.rng
        script = rng.choice(SCRIPTS)
        family = self.name(script, family=True)
        # 0: students name their guardians; 1: guardians name their children; 2: both.
        side = rng.randrange(3)
        withdrawn = rng.random() < self.withdrawn_rate
        school_of_first = ""
        for student_id in student_ids:
            number = int(student_id[4:])
            school_id, _name, grades = schools[rng.randrange(len(schools))]
            school_of_first = school_of_first or school_id
            agents = list(guardian_ids) if side != 1 else []
            if rng.random() < TEACHER_AGENT_RATE:
                agents.append(rng.choice(teachers))
            orgs = school_id if rng.random() < 0.9 else f"{DISTRICT_ID},{school_id}"
            self.users.append([
                student_id, "tobedeleted" if withdrawn else self.status(), self.date(),
                self.enabled(), orgs, "student", f"s{200000 + number}",
                self.user_ids(number), self.name(script, family=False), family,
                "", f"{200000 + number}", f"s{200000 + number}@students.example.org", "", "",
                ",".join(agents), rng.choice(grades), self.password()])
        for index, guardian_id in enumerate(guardian_ids):
            number = int(guardian_id[4:])
            own_family = family if index == 0 or rng.random() < 0.7 else self.name(
                script, family=True)
            role = rng.choices(("parent", "guardian", "relative"), (85, 10, 5))[0]
            agents = list(student_ids) if side != 0 else []
            self.users.append([
                guardian_id, self.status(), self.date(), self.enabled(), school_of_first, role,
                "", self.user_ids(500000 + number), self.name(script, family=False),
                own_family, "", "", f"parent{number}@example.org", "",
                f"+1555{number % 10_000_000:07d}", ",".join(agents), "", self.password()])
        self.households.append(Household(guardian_ids, student_ids))


def _csv(rows: Sequence[Sequence[str]], *, crlf: bool, bom: bool = False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n" if crlf else "\n")
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    return b"\xef\xbb\xbf" + data if bom else data


def write_bundle(district: District, out_dir: str | Path, *, as_zip: bool = False) -> Path:
    """Write the files into `out_dir` (created), or into `out_dir`/oneroster.zip."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    if not as_zip:
        for name in sorted(district.files):
            (folder / name).write_bytes(district.files[name])
        return folder
    target = folder / "oneroster.zip"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(district.files):
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, district.files[name])
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kiosk.roster.synthetic",
        description="Write a synthetic OneRoster 1.1 bundle (seeded, reproducible).")
    parser.add_argument("out_dir", metavar="OUT_DIR", help="folder to write the bundle into")
    parser.add_argument("--students", type=int, required=True, help="number of students")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--schools", type=int, default=None,
                        help=f"number of schools (default: one per {STUDENTS_PER_SCHOOL} "
                             "students, at least 3)")
    parser.add_argument("--zip", action="store_true",
                        help="write OUT_DIR/oneroster.zip instead of loose CSV files")
    args = parser.parse_args(argv)
    if args.students < 1:
        parser.error("--students must be at least 1")
    if args.schools is not None and args.schools < 1:
        parser.error("--schools must be at least 1")
    district = generate(args.students, args.seed, schools=args.schools)
    target = write_bundle(district, args.out_dir, as_zip=args.zip)
    print(f"{target}: {district.schools} schools, {district.students} students, "
          f"{district.guardians} guardians, {district.teachers} teachers "
          f"in {len(district.households)} households")
    return 0


if __name__ == "__main__":
    sys.exit(main())
