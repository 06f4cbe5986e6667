"""The plain objects the services hand out never show a secret when printed."""

from __future__ import annotations

from datetime import UTC, datetime

from kiosk.services.views import KeyCheck, StudentSummary

KEY = "7KQ2MXR4TB9HCJD0WNEA6PV3F"


def test_a_key_check_never_shows_its_key_in_its_repr() -> None:
    student = StudentSummary(given_name="Ana", family_name="Lopez", student_number="100200",
                             school_name="Lincoln Elementary", grades="3", enrolled=True)
    check = KeyCheck(canonical_key=KEY, guardian_given_name="Maria", guardian_family_name="Lopez",
                     students=(student,), expires_at=datetime(2027, 1, 1, tzinfo=UTC))

    assert KEY not in repr(check)
    assert KEY not in str(check)
    assert "Maria" in repr(check)
