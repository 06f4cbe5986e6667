"""`make screenshots`: SVG screenshots of the parent screens for the docs.

They are taken from the app itself (Textual's screenshot export), at 80x24, from the
same fixed scenes as the snapshot tests (tests/support/scenes.py), into docs/screenshots/.

    python -m scripts.screenshots [--language en|es ...]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "screenshots"
README_SCENES = ("welcome", "activate", "create-account", "login", "change-password",
                 "account", "unavailable", "idle-warning")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--language", action="append", choices=["en", "es"],
                        help="languages to capture (default: en and es)")
    args = parser.parse_args(argv)
    languages = args.language or ["en", "es"]

    # Run from the repository root (`python -m`), `tests` is a namespace package and
    # its `support` package holds the snapshot tests' scenes.
    from textual._doc import take_svg_screenshot

    from tests.support.scenes import SCENES, stage

    OUTPUT.mkdir(parents=True, exist_ok=True)
    scenes = {scene.name: scene for scene in SCENES}
    for name in README_SCENES:
        for language in languages:
            with tempfile.TemporaryDirectory() as folder:
                app, run_before = stage(scenes[name], language, Path(folder))
                svg = take_svg_screenshot(app=app, run_before=run_before,
                                          terminal_size=(80, 24),
                                          title=f"Portal Kiosk: {name} ({language})")
            target = OUTPUT / f"{name}-{language}.svg"
            target.write_text(svg, encoding="utf-8")
            print(f"wrote {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
