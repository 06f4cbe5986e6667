"""Lines describing the students linked to a guardian: shown on screen, and spoken."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from kiosk.i18n import Translate

if TYPE_CHECKING:
    from kiosk.services.views import StudentSummary


def student_lines(students: Sequence[StudentSummary], translate: Translate) -> list[str]:
    _ = translate
    if not students:
        return [_("No students are linked yet. Please ask the front desk.")]
    lines = []
    for student in students:
        line = _("• {student}, {school}").format(student=student.full_name,
                                                 school=student.school_name)
        if not student.enrolled:
            line = _("{line} (no longer enrolled)").format(line=line)
        lines.append(line)
    return lines
