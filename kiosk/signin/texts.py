"""Every sentence the sign-in pages show, marked for the kiosk's gettext catalogs.

The pages are Jinja2 templates, but pybabel reads only the Python sources, so the
texts live here (as `N_()`) and a page gets them translated, as `t.<name>`.
"""

from __future__ import annotations

from types import SimpleNamespace

from kiosk.i18n import N_, Translate

TEXTS: dict[str, str] = {
    "title_login": N_("Sign in"),
    "title_change": N_("Choose a new password"),
    "title_error": N_("This sign-in link cannot be used"),
    "title_unavailable": N_("Sign-in is not available right now"),
    "title_logged_out": N_("You are signed out"),
    "intro_login": N_("Sign in with the username and password you made at the school "
                      "kiosk."),
    "signing_in_to": N_("You are signing in to: {client}"),
    "intro_change": N_("Your password is temporary. Choose your own password to "
                       "continue."),
    "username": N_("Username"),
    "password": N_("Password"),
    "current_password": N_("Current password (the temporary one)"),
    "new_password": N_("New password"),
    "verify_password": N_("Verify new password"),
    "password_hint": N_("At least {minimum} characters. Spaces are allowed: a few "
                        "words you can remember make a good password."),
    "submit_login": N_("Sign in"),
    "submit_change": N_("Save password"),
    "error_heading": N_("There is a problem"),
    "form_expired": N_("This page was open too long or came from somewhere else. "
                       "Please try again."),
    "bad_link": N_("The app or website that sent you here made a mistake. Please go "
                   "back and try again. If it keeps happening, please contact the "
                   "school."),
    "logged_out": N_("You can close this page."),
    "help": N_("Forgot your password? The school front office can give you a new "
               "one."),
}


def page_texts(translate: Translate, **params: str) -> SimpleNamespace:
    """The texts in one language, with `{placeholders}` filled where given."""
    values = {}
    for name, message in TEXTS.items():
        text = translate(message)
        try:
            values[name] = text.format(**params) if "{" in text else text
        except KeyError:
            values[name] = text
    return SimpleNamespace(**values)
