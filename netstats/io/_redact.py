"""Passwords in data-source addresses: find them, mask them, resolve masked addresses.

One place decides what a secret looks like in a data-source string, so that every
message, report and terminal line that shows an address masks it the same way:

* ``user:password@`` in any URL scheme (``postgresql+pg8000://me:pw@host/db``);
* password-like query parameters (``?password=...``, ``&pwd=...``, ``token``, ...);
* ODBC attributes ``PWD=...;`` and ``Password=...;`` (also percent-encoded inside an
  ``odbc_connect=`` parameter).

A masked address (password shown as ``***``) can still be loaded: :func:`resolve_source`
takes the full address from the environment variable :data:`SECRET_SOURCE_ENV` when it
masks to the same text.  The report renderer sets that variable in the environment of the
notebook kernels only, so notebooks receive the masked address and the password is never
written into them.
"""

from __future__ import annotations

import os
import re

__all__ = ["MASK", "SECRET_SOURCE_ENV", "find_secrets", "redact_secrets", "resolve_source"]

#: What a password is replaced by.
MASK = "***"
#: Environment variable holding the full address behind a masked one.
SECRET_SOURCE_ENV = "NETSTATS_SECRET_SOURCE"

_STOP = r"\s'\"<>`"
# scheme://user:password@host  (the password may itself contain '@' or ':'; the last '@'
# before the host ends it)
_USERINFO_RE = re.compile(
    rf"(?P<pre>\b[A-Za-z][A-Za-z0-9+.\-]*:/{{1,3}}[^{_STOP}/:@?#]*:)"
    rf"(?P<secret>[^{_STOP}]*?)(?=@[^{_STOP}@/]*(?:[/?#{_STOP}]|$))"
)
_KEYS = r"password|passwd|pwd|pass|secret|token|access_token|api_key|apikey"
# ?password=... &pwd=...
_QUERY_RE = re.compile(
    rf"(?P<pre>[?&](?:{_KEYS})=)(?P<secret>[^&#;{_STOP}]*)",
    re.IGNORECASE,
)
# ODBC: PWD=secret;  Password={se;cret};  (start of text, or after ';', '{' or a blank)
_ODBC_RE = re.compile(
    rf"(?P<pre>(?:^|(?<=[;{{\s'\"]))(?:pwd|password)\s*=\s*)"
    rf"(?P<secret>\{{[^}}]*\}}|[^;{_STOP}]*)",
    re.IGNORECASE,
)
# odbc_connect=DRIVER%3D...%3BPWD%3Dsecret%3B...
_ODBC_ENCODED_RE = re.compile(
    rf"(?P<pre>(?:^|(?<=%3B)|(?<=[?&=]))(?:pwd|password)%3D)(?P<secret>.*?)(?=%3B|[&#{_STOP}]|$)",
    re.IGNORECASE,
)
_PATTERNS = (_USERINFO_RE, _QUERY_RE, _ODBC_RE, _ODBC_ENCODED_RE)


def _spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            start, end = m.span("secret")
            if end > start and text[start:end] != MASK:
                spans.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def find_secrets(text: str) -> list[str]:
    """The passwords written in ``text`` (data-source addresses or messages holding them).

    Examples
    --------
    >>> from netstats.io import find_secrets
    >>> find_secrets("postgresql+pg8000://me:S3cret@db.example.org/net")
    ['S3cret']
    >>> find_secrets("sqlite:///file:/tmp/c.sqlite?uri=true&password=pw1")
    ['pw1']
    >>> find_secrets("DRIVER={ODBC Driver 18};SERVER=db;UID=me;PWD=pw2;")
    ['pw2']
    >>> find_secrets("data/synthetic"), find_secrets("postgresql://me:***@db/net")
    ([], [])
    """
    return [text[a:b] for a, b in _spans(text)]


def redact_secrets(text: str) -> str:
    """``text`` with every password of a data-source address replaced by ``***``.

    Plain paths and addresses without a password come back unchanged; masking twice
    gives the same text.

    Examples
    --------
    >>> from netstats.io import redact_secrets
    >>> redact_secrets("postgresql+pg8000://me:S3cret@db.example.org:5432/net")
    'postgresql+pg8000://me:***@db.example.org:5432/net'
    >>> redact_secrets("cannot read mysql://me:p@ss@db/x?ssl=1&password=p@ss")
    'cannot read mysql://me:***@db/x?ssl=1&password=***'
    >>> redact_secrets("Server=db;Uid=me;Pwd={a;b};Database=net")
    'Server=db;Uid=me;Pwd=***;Database=net'
    >>> redact_secrets("data/synthetic")
    'data/synthetic'
    """
    out, last = [], 0
    for start, end in _spans(text):
        out += [text[last:start], MASK]
        last = end
    out.append(text[last:])
    return "".join(out)


def is_masked(text: str) -> bool:
    """Whether ``text`` holds a masked password (``***`` where a password goes)."""
    return any(m.group("secret") == MASK for pattern in _PATTERNS for m in pattern.finditer(text))


def resolve_source(source: str) -> str:
    """The full address behind a masked one; any other source unchanged.

    A source whose password is masked (``***``) is replaced by the value of the
    environment variable :data:`SECRET_SOURCE_ENV` when that value masks to the same
    text.

    Raises
    ------
    ValueError
        The source is masked and the environment holds no matching address.

    Examples
    --------
    >>> import os
    >>> from netstats.io._redact import SECRET_SOURCE_ENV, resolve_source
    >>> os.environ[SECRET_SOURCE_ENV] = "postgresql://me:S3cret@db/net"
    >>> resolve_source("postgresql://me:***@db/net")
    'postgresql://me:S3cret@db/net'
    >>> resolve_source("data/synthetic")
    'data/synthetic'
    >>> del os.environ[SECRET_SOURCE_ENV]
    """
    if not is_masked(source):
        return source
    full = os.environ.get(SECRET_SOURCE_ENV, "")
    if full and redact_secrets(full) == source:
        return full
    raise ValueError(
        f"the password of {source} is masked ({MASK}); give the full address, or set the "
        f"environment variable {SECRET_SOURCE_ENV} to it"
    )
