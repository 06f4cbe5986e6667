"""Activation keys: generation, formatting, lenient reading, typo detection, digest."""

from __future__ import annotations

import hashlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.errors import KeyMalformed, KeyTypo
from kiosk.security.keys import (
    ALPHABET,
    BODY_LENGTH,
    KEY_LENGTH,
    check_symbol,
    format_key,
    generate_key,
    key_digest,
    normalize_key,
    parse_key,
)

EXAMPLE_BODY = "7KQ2MXR4TB9HCJD0WNEA6PV3"
EXAMPLE = EXAMPLE_BODY + check_symbol(EXAMPLE_BODY)

bodies = st.text(alphabet=ALPHABET, min_size=BODY_LENGTH, max_size=BODY_LENGTH)
keys = bodies.map(lambda body: body + check_symbol(body))
FAST = settings(max_examples=200, deadline=None)


def test_the_alphabet_is_crockford_base32() -> None:
    assert ALPHABET == "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    assert len(set(ALPHABET)) == 32
    assert (BODY_LENGTH, KEY_LENGTH) == (24, 25)


def test_a_generated_key_is_25_alphabet_symbols_with_a_valid_check() -> None:
    key = generate_key()
    assert re.fullmatch(f"[{ALPHABET}]{{25}}", key)
    assert parse_key(key) == key


def test_generated_keys_carry_120_random_bits() -> None:
    # 24 symbols of 5 bits; over many keys every symbol shows up in every position.
    generated = [generate_key() for _ in range(2000)]
    assert len(set(generated)) == len(generated)
    for position in range(BODY_LENGTH):
        assert len({key[position] for key in generated}) == 32


def test_a_key_is_shown_as_five_groups_of_five() -> None:
    assert format_key(EXAMPLE) == "7KQ2M-XR4TB-9HCJD-0WNEA-6PV3" + EXAMPLE[-1]


def test_format_key_refuses_a_key_of_the_wrong_length() -> None:
    with pytest.raises(ValueError):
        format_key(EXAMPLE[:-1])


def test_the_check_symbol_is_luhn_mod_32() -> None:
    # By hand, from the right: 1 doubled is 2, 0 stays 0, 1 doubled is 2; 32 - 4 = 28.
    assert check_symbol("101") == ALPHABET[28]
    # Value 31 doubled is 62 = 1*32 + 30, so its addend is 1 + 30 = 31.
    assert check_symbol("Z") == ALPHABET[1]


def test_lower_case_spaces_and_missing_hyphens_are_accepted() -> None:
    typed = "  " + format_key(EXAMPLE).lower().replace("-", " ") + "\t"
    assert parse_key(typed) == EXAMPLE
    assert parse_key(EXAMPLE) == EXAMPLE


def test_en_and_em_dashes_and_unicode_spaces_are_ignored() -> None:
    groups = format_key(EXAMPLE).split("-")
    typed = f"{groups[0]}\u2013{groups[1]}\u2014{groups[2]}\u00a0{groups[3]}\u3000{groups[4]}"
    assert parse_key(typed) == EXAMPLE


def test_i_and_l_read_as_one_and_o_reads_as_zero() -> None:
    body = "1" * 12 + "0" * 12
    key = body + check_symbol(body)
    typed = "I" * 4 + "l" * 4 + "L" * 2 + "i" * 2 + "O" * 6 + "o" * 6 + key[-1]
    assert parse_key(typed) == key


def test_u_is_not_a_key_symbol() -> None:
    with pytest.raises(KeyMalformed):
        normalize_key("U" + EXAMPLE[1:])


def test_punctuation_is_malformed() -> None:
    with pytest.raises(KeyMalformed):
        normalize_key(EXAMPLE[:10] + "." + EXAMPLE[11:])


@pytest.mark.parametrize("length", [0, 1, 24, 26, 100])
def test_a_key_of_the_wrong_length_is_malformed(length: int) -> None:
    with pytest.raises(KeyMalformed):
        normalize_key((EXAMPLE * 4)[:length])


def test_non_ascii_letters_never_become_key_symbols() -> None:
    # "ß".upper() is "SS" and "ı".upper() is "I": neither may sneak into a key.
    with pytest.raises(KeyMalformed):
        normalize_key("ß" + EXAMPLE[2:])
    with pytest.raises(KeyMalformed):
        normalize_key("ı" + EXAMPLE[1:])


def test_a_wrong_check_symbol_is_reported_as_a_typo() -> None:
    wrong = ALPHABET[(ALPHABET.index(EXAMPLE[-1]) + 1) % 32]
    with pytest.raises(KeyTypo):
        parse_key(EXAMPLE[:-1] + wrong)


def test_every_single_substitution_of_a_key_is_a_typo() -> None:
    for key in (EXAMPLE, generate_key(), "0" * 25, "Z" * 24 + check_symbol("Z" * 24)):
        for position in range(KEY_LENGTH):
            for symbol in ALPHABET.replace(key[position], ""):
                with pytest.raises(KeyTypo):
                    parse_key(key[:position] + symbol + key[position + 1:])


def test_the_digest_is_sha256_of_the_body_only() -> None:
    expected = hashlib.sha256(EXAMPLE_BODY.encode("ascii")).hexdigest()
    assert key_digest(EXAMPLE) == expected
    assert key_digest(EXAMPLE_BODY) == expected


def test_the_digest_refuses_anything_but_a_canonical_key() -> None:
    with pytest.raises(ValueError):
        key_digest(format_key(EXAMPLE))
    with pytest.raises(ValueError):
        key_digest(EXAMPLE.lower())


@FAST
@given(keys)
def test_a_formatted_key_reads_back_as_itself(key: str) -> None:
    assert normalize_key(format_key(key)) == key
    assert parse_key(format_key(key)) == key


@FAST
@given(keys, st.lists(st.sampled_from([" ", "-", "\u2013", "\t"]), max_size=30), st.data())
def test_a_key_typed_in_lower_case_with_stray_separators_reads_back(
        key: str, separators: list[str], data: st.DataObject) -> None:
    chars = list(key.lower())
    for separator in separators:
        chars.insert(data.draw(st.integers(0, len(chars))), separator)
    assert parse_key("".join(chars)) == key


@FAST
@given(keys, st.integers(0, KEY_LENGTH - 1), st.integers(1, 31))
def test_any_single_symbol_substitution_is_caught_as_a_typo(
        key: str, position: int, shift: int) -> None:
    symbol = ALPHABET[(ALPHABET.index(key[position]) + shift) % 32]
    with pytest.raises(KeyTypo):
        parse_key(key[:position] + symbol + key[position + 1:])


@FAST
@given(st.text())
def test_reading_any_text_either_succeeds_or_raises_a_key_error(raw: str) -> None:
    try:
        canonical = parse_key(raw)
    except (KeyMalformed, KeyTypo):
        return
    assert len(canonical) == KEY_LENGTH
