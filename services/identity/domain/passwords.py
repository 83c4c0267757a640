"""The password policy and initial passwords.

A password has at least 10 characters (at most 128), characters of at least three of the four
classes (lower case, upper case, digits, other), and does not contain the username (nor the local
part of an e-mail username).
"""
from __future__ import annotations

import secrets
import string

MIN_LENGTH = 10
MAX_LENGTH = 128
_CLASSES = (str.islower, str.isupper, str.isdigit)


def _class_count(password: str) -> int:
    count = sum(1 for test in _CLASSES if any(test(ch) for ch in password))
    return count + (1 if any(not ch.isalnum() for ch in password) else 0)


def policy_violations(password: str, username: str) -> list[str]:
    """What is wrong with `password` for `username` (empty when it satisfies the policy)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        problems.append(f"must have at most {MAX_LENGTH} characters")
    if _class_count(password) < 3:
        problems.append("must mix at least three of: lower case, upper case, digits, other characters")
    lowered = password.lower()
    name = username.strip().lower()
    local = name.split("@", 1)[0]
    if name and (name in lowered or (len(local) >= 3 and local in lowered)):
        problems.append("must not contain the username")
    return problems


def initial_password() -> str:
    """A random 16-character password that satisfies the policy (no look-alike characters)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    while True:
        body = "".join(secrets.choice(alphabet) for _ in range(14))
        candidate = body[:7] + secrets.choice("!#%+-=?@") + secrets.choice(string.digits[2:]) + body[7:]
        if _class_count(candidate) == 4:
            return candidate
