"""Password policy for people's accounts (API keys are random and need none)."""

from __future__ import annotations

MIN_LENGTH = 12
MAX_LENGTH = 256

#: A few passwords every guessing list starts with; length alone does not stop them.
COMMON = frozenset(
    {
        "password1234", "passwordpassword", "123456789012", "qwertyuiop123", "administrator",
        "changeme1234", "letmein12345", "welcome12345", "admin1234567", "iloveyou1234",
    }
)


def password_problems(password: str, username: str = "") -> list[str]:
    """Every reason `password` is not acceptable; an empty list means it is."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(f"must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        problems.append(f"must be at most {MAX_LENGTH} characters")
    if password and len(set(password)) < 4:
        problems.append("must use at least 4 different characters")
    lowered = password.lower()
    if username and username.lower() in lowered:
        problems.append("must not contain the username")
    if lowered in COMMON:
        problems.append("is too common")
    return problems
