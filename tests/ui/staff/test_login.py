

def test_kiosk_app_hands_out_the_staff_app(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """SPEC §5: `kiosk.app.StaffApp()` builds with no arguments from the settings."""
    import kiosk.app

    monkeypatch.setenv("KIOSK_DATABASE_URL", f"sqlite:///{tmp_path}/kiosk.db")
    built = kiosk.app.StaffApp()
    assert isinstance(built, StaffApp)
    assert built.context.database.url == f"sqlite:///{tmp_path}/kiosk.db"
