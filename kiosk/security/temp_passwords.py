"""Temporary passwords that staff read out or hand over on paper.

Lower-case letters and digits without the look-alikes 0/o, 1/l/i, in groups of five
so they are easy to copy: 20 symbols from 31 carry 99 bits, and longer minimum
lengths get more symbols.
"""

from __future__ import annotations

import math
import secrets

from kiosk.errors import ConfigurationError
from kiosk.security.policy import PasswordPolicy

TEMPORARY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
MIN_SYMBOLS = 20
GROUP_SIZE = 5
# Random passwords meet the policy almost always; this only stops an impossible policy
# from hanging a staff member's screen.
MAX_ATTEMPTS = 1000


def generate_temporary_password(policy: PasswordPolicy, *, username: str = "") -> str:
    """A random password that meets every rule of `policy` for `username`."""
    count = _symbol_count(policy.min_length)
    for _ in range(MAX_ATTEMPTS):
        symbols = "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(count))
        password = "-".join(symbols[i:i + GROUP_SIZE] for i in range(0, count, GROUP_SIZE))
        if not policy.problems(password, username=username):
            return password
    raise ConfigurationError(
        "cannot generate a temporary password that meets the password rules")


def _symbol_count(min_length: int) -> int:
    """The fewest symbols (at least MIN_SYMBOLS) whose grouped form is min_length long."""
    count = MIN_SYMBOLS
    while count + math.ceil(count / GROUP_SIZE) - 1 < min_length:
        count += 1
    return count
