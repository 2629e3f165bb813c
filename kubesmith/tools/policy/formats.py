"""Named string formats of the Kubernetes CEL ``format`` library (``format.dns1123Label()``...).

Each validator returns the list of problems (empty when the value is valid), phrased like the API
server's messages so that a policy's ``messageExpression`` reads the same offline and in a cluster.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from datetime import date, datetime
from urllib.parse import urlsplit

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def _regex_check(pattern: re.Pattern[str], max_len: int, what: str) -> Callable[[str], list[str]]:
    def check(value: str) -> list[str]:
        errs = []
        if len(value) > max_len:
            errs.append(f"must be no more than {max_len} characters")
        if not pattern.match(value):
            errs.append(f"a {what} must consist of {_DESCRIPTIONS[what]}")
        return errs

    return check


_DESCRIPTIONS = {
    "lowercase RFC 1123 label": "lower case alphanumeric characters or '-', and must start and "
    "end with an alphanumeric character",
    "lowercase RFC 1123 subdomain": "lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character",
    "DNS-1035 label": "lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character",
    "label value": "alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character",
}


def _prefix(check: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    # A prefix (generateName) may end with '-': validate as if it did not.
    return lambda value: check(value[:-1] if value.endswith("-") else value)


def _qualified_name(value: str) -> list[str]:
    prefix, _, name = value.rpartition("/")
    errs: list[str] = []
    if "/" in value and (not prefix or _dns_subdomain(prefix)):
        errs.append("prefix part must be a lowercase RFC 1123 subdomain")
    if not name or len(name) > 63 or not _QUALIFIED_NAME.match(name):
        errs.append(
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start "
            "and end with an alphanumeric character, at most 63 characters"
        )
    return errs


def _parses(parse: Callable[[str], object], message: str) -> Callable[[str], list[str]]:
    def check(value: str) -> list[str]:
        try:
            parse(value)
        except (ValueError, binascii.Error):
            return [message]
        return []

    return check


def _uuid(value: str) -> object:
    from uuid import UUID  # imported when used: ``uuid`` costs a process ~25 ms to import

    return UUID(value)


def _uri(value: str) -> None:
    if not urlsplit(value).scheme:
        raise ValueError("no scheme")


_dns_label = _regex_check(_DNS1123_LABEL, 63, "lowercase RFC 1123 label")
_dns_subdomain = _regex_check(_DNS1123_SUBDOMAIN, 253, "lowercase RFC 1123 subdomain")
_dns1035 = _regex_check(_DNS1035_LABEL, 63, "DNS-1035 label")

FORMATS: dict[str, Callable[[str], list[str]]] = {
    "dns1123Label": _dns_label,
    "dns1123Subdomain": _dns_subdomain,
    "dns1035Label": _dns1035,
    "dns1123LabelPrefix": _prefix(_dns_label),
    "dns1123SubdomainPrefix": _prefix(_dns_subdomain),
    "dns1035LabelPrefix": _prefix(_dns1035),
    "qualifiedName": _qualified_name,
    "labelValue": _regex_check(_LABEL_VALUE, 63, "label value"),
    "uri": _parses(_uri, "invalid URI"),
    "uuid": _parses(_uuid, "does not match the UUID format"),
    "byte": _parses(lambda v: base64.b64decode(v, validate=True), "invalid base64"),
    "date": _parses(date.fromisoformat, "invalid date"),
    "datetime": _parses(datetime.fromisoformat, "invalid datetime"),
}


def validate_format(name: str, value: str) -> list[str]:
    """The problems of ``value`` in format ``name`` (empty when valid)."""
    return FORMATS[name](value)
