"""Activation keys: 120 random bits as 24 Crockford base32 symbols plus a check symbol.

The check symbol (Luhn mod 32) lets the kiosk tell a typing mistake from a guess
without touching the database, so a typo is never counted against the terminal.
Only the SHA-256 of the 24-symbol body is ever stored.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from kiosk.errors import KeyMalformed, KeyTypo

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BODY_LENGTH = 24
KEY_LENGTH = 25
GROUP_SIZE = 5

_BASE = len(ALPHABET)
_BODY_BYTES = 15  # 120 bits: exactly 24 symbols of 5 bits, so base32 needs no padding
_INDEX = {symbol: index for index, symbol in enumerate(ALPHABET)}
_SYMBOLS = frozenset(ALPHABET)
# RFC 4648 base32 symbol n -> our symbol n: the same 5-bit values, Crockford's letters.
_FROM_RFC4648 = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", ALPHABET)
# What a symbol of value v adds to the Luhn sum when doubled: 2v with the carry added back.
_DOUBLED = tuple(2 * v // _BASE + 2 * v % _BASE for v in range(_BASE))
_DOUBLED_OF = {symbol: _DOUBLED[index] for symbol, index in _INDEX.items()}
# Crockford's reading rules: letters people confuse with digits mean the digit.
_LOOKALIKES = {"I": "1", "L": "1", "O": "0"}
# Hyphen-like characters that word processors and phones substitute for "-".
_SEPARATORS = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212")


def generate_key() -> str:
    """A new canonical key: 24 random symbols (120 bits) and their check symbol."""
    return generate_keys(1)[0]


def generate_keys(count: int) -> list[str]:
    """`count` new canonical keys from one read of `secrets`, 120 random bits each.

    Bulk issue for a district makes 150,000 keys: one call, not 150,000.
    """
    symbols = base64.b32encode(secrets.token_bytes(_BODY_BYTES * count)).decode("ascii")
    symbols = symbols.translate(_FROM_RFC4648)
    bodies = (symbols[start:start + BODY_LENGTH]
              for start in range(0, len(symbols), BODY_LENGTH))
    return [body + check_symbol(body) for body in bodies]


def check_symbol(body: str) -> str:
    """The Luhn mod 32 check character for `body` (symbols of ALPHABET).

    Doubling modulo 32 with the carry added back (x -> 2x for x < 16, 2x - 31 otherwise)
    is a permutation of 0..31, so every single-symbol substitution changes the sum and
    is caught; that holds only because the base is even.
    """
    try:
        # From the right: the last symbol is doubled, the one before it is not, and so on.
        total = (sum(map(_DOUBLED_OF.__getitem__, body[-1::-2]))
                 + sum(map(_INDEX.__getitem__, body[-2::-2])))
    except KeyError:
        raise ValueError("a key body may only contain ALPHABET symbols") from None
    return ALPHABET[(_BASE - total % _BASE) % _BASE]


def format_key(canonical: str) -> str:
    """`7KQ2M-XR4TB-9HCJD-0WNEA-6PV3F`: five groups of five, as printed on the letter."""
    if len(canonical) != KEY_LENGTH:
        raise ValueError(f"a canonical key has {KEY_LENGTH} symbols")
    return "-".join([canonical[i:i + GROUP_SIZE] for i in range(0, KEY_LENGTH, GROUP_SIZE)])


def normalize_key(raw: str) -> str:
    """The canonical 25 symbols of what a parent typed, or KeyMalformed.

    Case, whitespace and hyphens (including en and em dashes) are ignored, and
    I, L, O read as 1, 1, 0. Only ASCII letters are upper-cased, so that characters
    such as "ß" or "ı" cannot turn into valid symbols.
    """
    symbols: list[str] = []
    for char in raw:
        if char.isspace() or char in _SEPARATORS:
            continue
        if "a" <= char <= "z":
            char = char.upper()
        char = _LOOKALIKES.get(char, char)
        if char not in _INDEX:
            raise KeyMalformed()
        symbols.append(char)
        if len(symbols) > KEY_LENGTH:
            raise KeyMalformed()
    if len(symbols) != KEY_LENGTH:
        raise KeyMalformed()
    return "".join(symbols)


def parse_key(raw: str) -> str:
    """normalize_key, then the check symbol: a mismatch is a typo (KeyTypo), not a guess."""
    canonical = normalize_key(raw)
    if check_symbol(canonical[:BODY_LENGTH]) != canonical[BODY_LENGTH]:
        raise KeyTypo()
    return canonical


def key_digest(canonical: str) -> str:
    """SHA-256 hex of the 24-symbol body; a 25-symbol key is hashed without its check."""
    if len(canonical) not in (BODY_LENGTH, KEY_LENGTH):
        raise ValueError(f"a canonical key has {BODY_LENGTH} or {KEY_LENGTH} symbols")
    body = canonical[:BODY_LENGTH]
    if not _SYMBOLS.issuperset(body):  # one C-level scan: bulk issue digests 150,000
        raise ValueError("a canonical key may only contain ALPHABET symbols")
    return hashlib.sha256(body.encode("ascii")).hexdigest()
