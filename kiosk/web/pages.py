"""The small pages `kiosk serve` adds to textual-serve's: busy, and sign-in.

Self-contained HTML (no scripts, no outside resources), English then Spanish, like
the kiosk. Any text that comes from outside is escaped.
"""

from __future__ import annotations

from html import escape

BUSY_RETRY_SECONDS = 30

_STYLE = """
body { background: #0c181f; color: #f2f2f2; font-family: system-ui, sans-serif;
       display: flex; min-height: 100vh; margin: 0; align-items: center;
       justify-content: center; }
main { background: #12232d; padding: 2rem 2.5rem; max-width: 32rem; border-radius: 6px; }
h1 { font-size: 1.4rem; margin-top: 0; }
p { line-height: 1.5; }
.es { color: #b8c7d1; }
label { display: block; margin: 1rem 0 0.3rem; }
input { font-size: 1.1rem; padding: 0.4rem; width: 100%; box-sizing: border-box; }
button { margin-top: 1rem; font-size: 1.1rem; padding: 0.5rem 1.5rem; }
.error { color: #ffb4a8; font-weight: bold; }
"""


def _page(title: str, body: str, *, refresh_seconds: int | None = None) -> str:
    refresh = (f'<meta http-equiv="refresh" content="{refresh_seconds}">'
               if refresh_seconds is not None else "")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{refresh}<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def busy_page(district_name: str) -> str:
    """Every seat is taken; the page tries again by itself."""
    return _page(
        "Busy - please try again shortly",
        f"<h1>{escape(district_name)} parent portal kiosk</h1>"
        "<p>Every seat on this kiosk is in use right now. Please try again shortly: "
        f"this page tries again by itself in {BUSY_RETRY_SECONDS} seconds.</p>"
        '<p class="es" lang="es">Todos los puestos de este quiosco están en uso ahora mismo. '
        "Por favor, inténtelo de nuevo en un momento: esta página lo intentará sola en "
        f"{BUSY_RETRY_SECONDS} segundos.</p>",
        refresh_seconds=BUSY_RETRY_SECONDS,
    )


def sign_in_page(district_name: str, *, failed: bool = False) -> str:
    """The password gate's form. It posts to `login`, relative to where it is served."""
    error = ('<p class="error" role="alert">That password is not right. Please try again. '
             '<span lang="es">La contraseña no es correcta. Inténtelo de nuevo.</span></p>'
             if failed else "")
    return _page(
        "Sign in - parent portal kiosk",
        f"<h1>{escape(district_name)} parent portal kiosk</h1>"
        "<p>This kiosk asks for a password before it opens. "
        '<span class="es" lang="es">Este quiosco pide una contraseña antes de abrirse.</span>'
        f"</p>{error}"
        '<form method="post" action="login">'
        '<label for="password">Password / Contraseña</label>'
        '<input id="password" name="password" type="password" autocomplete="current-password"'
        ' required autofocus>'
        '<button type="submit">Open the kiosk / Abrir el quiosco</button>'
        "</form>",
    )


def too_many_attempts_page(district_name: str, retry_after_seconds: int) -> str:
    """The password gate after too many wrong passwords from one address."""
    return _page(
        "Too many attempts - parent portal kiosk",
        f"<h1>{escape(district_name)} parent portal kiosk</h1>"
        '<p class="error" role="alert">Too many wrong passwords were tried from this '
        f"connection. Please wait {retry_after_seconds} seconds and try again.</p>"
        '<p class="es" lang="es">Se probaron demasiadas contraseñas incorrectas desde esta '
        f"conexión. Espere {retry_after_seconds} segundos e inténtelo de nuevo.</p>"
        '<p><a href="login">Back to the sign-in / Volver</a></p>',
    )


def client_limit_page(district_name: str, limit: int) -> str:
    """One address already holds its share of sessions."""
    return _page(
        "Too many sessions - parent portal kiosk",
        f"<h1>{escape(district_name)} parent portal kiosk</h1>"
        f"<p>This connection already has {limit} kiosk sessions open. Please close one of "
        "them (its browser tab) and try again: this page tries again by itself in "
        f"{BUSY_RETRY_SECONDS} seconds.</p>"
        '<p class="es" lang="es">Esta conexión ya tiene abiertas '
        f"{limit} sesiones del quiosco. Cierre una de ellas (su pestaña del navegador) e "
        f"inténtelo de nuevo: esta página lo intentará sola en {BUSY_RETRY_SECONDS} "
        "segundos.</p>",
        refresh_seconds=BUSY_RETRY_SECONDS,
    )
