"""The documents hold together: every relative link and anchor lands, the README stays short.

The README is the front door and docs/ holds one page per reader, so most links are
relative ones between pages. A page that is renamed, or a heading that is reworded,
breaks them without anyone noticing; these tests notice.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README_MAX_LINES = 250

# [text](target) and ![alt](target); the target ends at the first space or ')'.
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_INLINE_CODE = re.compile(r"`[^`]*`")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def documents(root: Path = ROOT) -> list[Path]:
    """README.md, CHANGELOG.md and every page in docs/."""
    found = [root / "README.md", root / "CHANGELOG.md", *sorted((root / "docs").glob("*.md"))]
    return [path for path in found if path.is_file()]


def _prose_lines(text: str) -> Iterator[str]:
    """The lines outside fenced code blocks."""
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            yield line


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to '-'."""
    text = heading.strip().lower()
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link keeps its text
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a Markdown file (repeated headings get -1, -2, ...)."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for line in _prose_lines(path.read_text(encoding="utf-8")):
        match = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not match:
            continue
        base = slug(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, target) of every relative link or image in a document's prose."""
    fenced = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            continue
        for match in _LINK.finditer(_INLINE_CODE.sub("", line)):
            target = match.group(1)
            if not _SCHEME.match(target):
                yield number, target


def broken_links(path: Path) -> list[str]:
    """Each relative link of `path` whose file or heading does not exist, as 'file:line: why'."""
    problems = []
    for number, target in links(path):
        file_part, _, anchor = target.partition("#")
        destination = (path.parent / file_part).resolve() if file_part else path
        where = path.name if path.parent == ROOT else f"{path.parent.name}/{path.name}"
        if not destination.exists():
            problems.append(f"{where}:{number}: {target}: no such file")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            problems.append(f"{where}:{number}: {target}: no heading with that anchor")
    return problems


def test_every_relative_link_and_anchor_resolves() -> None:
    problems = [problem for path in documents() for problem in broken_links(path)]
    assert problems == [], "\n".join(problems)


def test_readme_is_under_250_lines() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines < README_MAX_LINES, (
        f"README.md has {lines} lines; move the detail to a page in docs/")


def test_readme_links_every_docs_page() -> None:
    linked = {(ROOT / target.partition("#")[0]).resolve()
              for _, target in links(ROOT / "README.md")}
    unlinked = [path.name for path in sorted((ROOT / "docs").glob("*.md"))
                if path.resolve() not in linked]
    assert unlinked == [], f"README.md does not link to: {unlinked}"


def test_a_missing_file_and_a_missing_heading_are_both_found(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    page = tmp_path / "docs" / "page.md"
    page.write_text("# A page\n\n## Its part\n", encoding="utf-8")
    index = tmp_path / "docs" / "index.md"
    index.write_text(
        "# Index\n\n[fine](page.md#its-part) [gone](nowhere.md) [moved](page.md#old-part)\n"
        "`[in code](ignored.md)` [web](https://example.org/x.md) [here](#index)\n"
        "```\n[in a fence](ignored.md)\n```\n",
        encoding="utf-8")
    problems = broken_links(index)
    assert len(problems) == 2, problems
    assert "nowhere.md: no such file" in problems[0]
    assert "page.md#old-part: no heading with that anchor" in problems[1]
