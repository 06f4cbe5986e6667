"""Snapshots of every parent screen, in English and Spanish, at 80x24.

Update them after an intended change with `make snapshots` and look at the report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from support.scenes import SCENES, Scene, stage


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("scene", SCENES, ids=[scene.name for scene in SCENES])
def test_screen_snapshot(scene: Scene, language: str, snap_compare: Any,
                         tmp_path: Path) -> None:
    app, run_before = stage(scene, language, tmp_path)
    assert snap_compare(app, run_before=run_before, terminal_size=(80, 24))


def test_account_in_high_contrast(snap_compare: Any, tmp_path: Path) -> None:
    scene = next(scene for scene in SCENES if scene.name == "account")
    app, run_before = stage(scene, "en", tmp_path, high_contrast=True)
    assert snap_compare(app, run_before=run_before, terminal_size=(80, 24))


def test_create_account_on_a_larger_terminal(snap_compare: Any, tmp_path: Path) -> None:
    scene = next(scene for scene in SCENES if scene.name == "create-account")
    app, run_before = stage(scene, "en", tmp_path)
    assert snap_compare(app, run_before=run_before, terminal_size=(120, 40))
