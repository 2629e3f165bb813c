"""Field-level differences between two versions of one object.

History and rollback both speak in fields, not lines: "spec.replicas went from 2 to 3" is what a
reviewer reads, and the same difference, turned around, is the set of typed edits that undoes
it. Lists of named items (containers, env, ports) are addressed by ``[name=...]`` so a change to
one container does not show as a change to every index after it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from kubesmith.model import Match, PathSegment, format_path, parse_path

ChangeKind = Literal["added", "changed", "removed"]


@dataclass(frozen=True)
class FieldChange:
    """One field that differs between two versions of an object.

    Attributes:
        path: the field path (``spec.template.spec.containers[name=app].image``).
        kind: ``added`` (only after), ``removed`` (only before) or ``changed``.
        before: the value before (None when added).
        after: the value after (None when removed).
    """

    path: str
    kind: ChangeKind
    before: Any = None
    after: Any = None


def _named(*lists: Sequence[Any]) -> str | None:
    """The key that names every item of each list of mappings uniquely (``name``), if any."""
    if not any(lists):
        return None
    for key in ("name", "containerPort", "mountPath", "ip"):
        if all(_names_uniquely(items, key) for items in lists):
            return key
    return None


def _names_uniquely(items: Sequence[Any], key: str) -> bool:
    values = [i.get(key) if isinstance(i, Mapping) else None for i in items]
    return all(isinstance(v, (str, int)) for v in values) and len(set(values)) == len(values)


def diff_fields(before: Any, after: Any, prefix: tuple[PathSegment, ...] = ()) -> list[FieldChange]:
    """Every leaf field that differs between ``before`` and ``after``, in document order.

    A mapping or list that appears or disappears whole is one change at its own path (so a
    rollback re-adds it with one edit); inside, keys are compared one by one.
    """
    return list(_diff(before, after, prefix))


def _diff(before: Any, after: Any, prefix: tuple[PathSegment, ...]) -> Iterator[FieldChange]:
    if before == after:
        return
    path = format_path(prefix) if prefix else ""
    if before is None or after is None:
        kind: ChangeKind = "added" if before is None else "removed"
        yield FieldChange(path, kind, before, after)
        return
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in [*before, *(k for k in after if k not in before)]:
            seg = str(key)
            if key not in after:
                yield FieldChange(format_path((*prefix, seg)), "removed", before[key], None)
            elif key not in before:
                yield FieldChange(format_path((*prefix, seg)), "added", None, after[key])
            else:
                yield from _diff(before[key], after[key], (*prefix, seg))
        return
    if isinstance(before, list) and isinstance(after, list):
        key = _named(before, after)
        if key is not None:
            old = {str(i[key]): i for i in before}
            new = {str(i[key]): i for i in after}
            if list(old) == [n for n in new if n in old]:  # same order: compare item by item
                for name in [*old, *(n for n in new if n not in old)]:
                    item = Match(key, name)
                    if name not in new:
                        yield FieldChange(format_path((*prefix, item)), "removed", old[name], None)
                    elif name not in old:
                        yield FieldChange(format_path((*prefix, item)), "added", None, new[name])
                    else:
                        yield from _diff(old[name], new[name], (*prefix, item))
                return
    yield FieldChange(path, "changed", before, after)


def leaves(obj: Any, prefix: tuple[PathSegment, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Every leaf of ``obj`` with its path (named list items addressed by ``[name=...]``)."""
    if isinstance(obj, Mapping) and obj:
        for key, value in obj.items():
            yield from leaves(value, (*prefix, str(key)))
    elif isinstance(obj, list) and obj and (key := _named(obj)) is not None:
        for item in obj:
            yield from leaves(item, (*prefix, Match(key, str(item[key]))))
    else:
        yield format_path(prefix) if prefix else "", obj


def field_matches(change_path: str, wanted: str) -> bool:
    """True when ``change_path`` is ``wanted``, inside it, or contains it.

    A segment of ``wanted`` without a selector matches any item selector at that place, so
    ``spec.template.spec.containers.resources`` matches ``containers[name=app].resources``.
    """
    have, want = _plain(parse_path(change_path)), _plain(parse_path(wanted))
    return _prefix(have, want) or _prefix(want, have)


def _plain(segments: Sequence[PathSegment]) -> list[tuple[PathSegment, PathSegment | None]]:
    """Segments as (key, selector) pairs: a list selector joins the key before it."""
    out: list[tuple[PathSegment, PathSegment | None]] = []
    for seg in segments:
        if isinstance(seg, (Match, int)) and out and out[-1][1] is None:
            out[-1] = (out[-1][0], seg)
        else:
            out.append((seg, None))
    return out


def _prefix(
    longer: Sequence[tuple[PathSegment, PathSegment | None]],
    shorter: Sequence[tuple[PathSegment, PathSegment | None]],
) -> bool:
    if len(shorter) > len(longer):
        return False
    for (ka, sa), (kb, sb) in zip(longer, shorter, strict=False):
        if ka != kb or (sa is not None and sb is not None and sa != sb):
            return False
    return True
