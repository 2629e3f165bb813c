"""Effect proof: a proposal does what it says where it is deployed, and nothing else.

A minimal, valid diff can still change nothing that is deployed — an overlay edit written into a
patch a later patch overrides, a base value a component replaces — or change more than planned.
So after the edits are applied, the loop renders what is deployed before and after (each
affected overlay with the pinned kustomize, plain files as written) and compares the objects:

* every applied change must be visible in the rendered objects made from the edited document,
  at its field and value — in every environment for an overlay's own patch, in at least one for
  a base shared by several (the others are named, with the file and line that keep their own
  value);
* every rendered change must be explained by a change of the plan.

What fails is an error finding of the ``effect`` validator naming what overrides the edit, so the
proposal is blocked (``--force`` opens it, its title saying so). The rendered changes, per
environment, are the proposal's *rendered diff*.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kubesmith.agent.effect_render import (
    Delta,
    Deployed,
    Environment,
    Leaf,
    canonical,
    deltas,
    leaves,
    render_tree,
    rendered_diff_text,
    tree_graph,
)
from kubesmith.agent.validation.files import KUSTOMIZATION_NAMES
from kubesmith.model import Change, Finding, Match, format_path, parse_path

if TYPE_CHECKING:
    from kubesmith.workspace import Workspace

VALIDATOR = "effect"
_IDENTITY = {("apiVersion",), ("kind",), ("metadata", "name"), ("metadata", "namespace")}


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class Effect:
    """The effect step's verdict: findings, and the rendered changes per environment."""

    findings: tuple[Finding, ...] = ()
    rendered: tuple[tuple[str, tuple[Delta, ...]], ...] = ()

    @property
    def rendered_diff(self) -> str:
        """What changes in the deployed objects, per environment, as text."""
        return rendered_diff_text({env: list(ds) for env, ds in self.rendered})

    def as_json(self) -> dict[str, list[str]]:
        return {env: [d.describe() for d in ds] for env, ds in self.rendered if ds}


@dataclass(frozen=True)
class _Expect:
    """What one applied change should look like in the objects made from its document."""

    change: Change
    leaves: tuple[tuple[Leaf, Any], ...]
    """Expected values (ABSENT: no such field); empty for a change only known to alter things."""
    whole: str = ""
    """"added"/"deleted" for a change that adds or deletes the whole object."""


def is_kustomization(file: str) -> bool:
    return posixpath.basename(file) in KUSTOMIZATION_NAMES


_memo: list[tuple[object, Effect]] = []


def prove(ws: Workspace, changes: Sequence[Change]) -> Effect:
    """Render before and after ``changes`` (applied to ``ws``) and check every change shows.

    The last answer is kept: the loop asks once to check and once more to publish.
    """
    from kubesmith.agent.validation.tree import written

    if not changes:
        return Effect()
    memo_key = (str(ws.root), tuple(ws.modified_files().items()), tuple(changes))
    last = _memo[0] if _memo else None  # read once: another thread may replace it
    if last is not None and last[0] == memo_key:
        return last[1]
    changed = {c.file for c in changes}
    with written(ws, proposed=False) as old_tree, written(ws) as new_tree:
        before = render_tree(old_tree, tree_graph(old_tree), changed)
        graph = tree_graph(new_tree)
        after = render_tree(new_tree, graph, changed)
    effect = judge(changes, before, after, graph.patch_files())
    _memo[:] = [(memo_key, effect)]
    return effect


def judge(
    changes: Sequence[Change],
    before: dict[str, Environment],
    after: dict[str, Environment],
    patches: set[str],
) -> Effect:
    """The verdict on ``changes`` given the environments rendered before and after."""
    rendered = {env: deltas(before.get(env), after.get(env)) for env in sorted(before | after)}
    findings: list[Finding] = []
    broken = {e for e, env in after.items() if env.failure is not None}
    expects = [_expectation(c, c.file in patches) for c in changes if not is_kustomization(c.file)]
    for ex in expects:
        findings.extend(_visible(ex, before, after, broken, ex.change.file in patches))
    kust_changes = [c for c in changes if is_kustomization(c.file)]
    for env, ds in rendered.items():
        if env in broken:
            continue
        chain = (after.get(env) or before[env]).chain
        if any(c.file in chain for c in kust_changes):
            continue  # a kustomization edit (images, generators, resources...) explains its build
        old = before[env].by_key() if env in before else {}
        new = after[env].by_key() if env in after else {}
        findings.extend(
            _unexplained(d, env)
            for d in ds
            if not any(_explains(ex, d, old.get(d.key), new.get(d.key)) for ex in expects)
        )
    kept = tuple((env, tuple(ds)) for env, ds in rendered.items() if ds)
    return Effect(tuple(findings), kept)


def _expectation(c: Change, in_patch: bool) -> _Expect:
    if c.operation == "delete":
        return _Expect(c, (), whole="deleted")
    if c.operation == "add" and isinstance(c.new, dict):
        if not in_patch:
            return _Expect(c, (), whole="added")
        if c.new.get("$patch") == "delete":
            return _Expect(c, (), whole="deleted")
        return _Expect(c, _leaves_of(c.new, (), in_patch=True))
    if c.operation == "merge" and isinstance(c.new, dict):
        return _Expect(c, _leaves_of(c.new, (), in_patch=True))
    path = parse_path(c.path or "")
    if c.operation == "remove":
        return _Expect(c, () if in_patch else ((path, ABSENT),))
    if path and path[-1] == "$patch":
        return _Expect(c, ((path[:-1], ABSENT),) if c.new == "delete" else ())
    return _Expect(c, _leaves_of(c.new, path, in_patch=in_patch))


def _leaves_of(value: Any, prefix: Leaf, *, in_patch: bool) -> tuple[tuple[Leaf, Any], ...]:
    if value is None:
        return ((prefix, ABSENT),)
    if not isinstance(value, (dict, list)):
        return ((prefix, value),)
    out: list[tuple[Leaf, Any]] = []
    if isinstance(value, dict):
        if value.get("$patch") == "delete":
            return ((prefix, ABSENT),)
        for k, v in value.items():
            path = (*prefix, str(k))
            if k.startswith("$") or (in_patch and path in _IDENTITY):
                continue
            out.extend(_leaves_of(v, path, in_patch=in_patch))
        return tuple(out)
    if not value:
        return ((prefix, []),)
    # A list is matched item by item as rendered (by name where its items are named).
    return tuple((p, v) for p, v in leaves(value, prefix).items())


def _document(c: Change) -> tuple[str, str]:
    """Kind and name of the document ``c`` edits (an added resource: as written)."""
    kind, name = (c.ref.kind, c.ref.name) if c.ref is not None else ("", "")
    if c.operation == "add" and isinstance(c.new, dict):
        meta = c.new.get("metadata")
        kind = str(c.new.get("kind", kind))
        name = str(meta.get("name", name)) if isinstance(meta, dict) else name
    return kind, name


def _targets(c: Change, envs: dict[str, Environment]) -> list[Deployed]:
    kind, name = _document(c)
    return [o for env in envs.values() for o in env.objects if o.made_from(c.file, kind, name)]


def _visible(
    ex: _Expect,
    before: dict[str, Environment],
    after: dict[str, Environment],
    broken: set[str],
    in_patch: bool,
) -> list[Finding]:
    c = ex.change
    if ex.whole == "deleted":
        gone = [o for o in _targets(c, before) if o.env not in broken]
        still = [o for o in gone if o.key in after.get(o.env, Environment(o.env)).by_key()]
        return [_finding(c, f"{_obj(o)} is still deployed in {o.env}") for o in still]
    targets = [o for o in _targets(c, after) if o.env not in broken]
    if not targets:
        if any(env.failure is not None for env in after.values()):
            return []  # the build failure is the validators' error finding
        return [_finding(c, "no deployed object is made from the edited document")]
    if ex.whole == "added" or not ex.leaves:
        if ex.leaves or ex.whole:
            return []
        moved = any(
            d.key == o.key and d.path is not None and _related(_canon(o, c), d.path)
            for o in targets
            for d in deltas(before.get(o.env), after.get(o.env))
        )
        return [] if moved else [_finding(c, "the rendered objects do not change")]
    misses = [(o, _miss(ex, o)) for o in targets]
    failed = [(o, m) for o, m in misses if m is not None]
    if not failed:
        return []
    shared = not in_patch and len({o.env for o in targets}) > 1
    if shared and len(failed) < len(targets):
        return [_finding(c, _override_text(o, m, c), "warning", o, m) for o, m in failed]
    return [_finding(c, _override_text(o, m, c), "error", o, m) for o, m in failed]


def _miss(ex: _Expect, o: Deployed) -> tuple[Leaf, Any, Any] | None:
    """The first expected value ``o`` does not show: (path as rendered, wanted, found)."""
    have = leaves(o.obj)
    for path, want in ex.leaves:
        canon = canonical(o.obj, path)
        if want is ABSENT:
            present = [p for p in have if p[: len(canon)] == canon]
            if present:
                return canon, ABSENT, have[present[0]]
            continue
        got = have.get(canon, ABSENT)
        if not _same(got, want):
            return canon, want, got
    return None


def _same(got: Any, want: Any) -> bool:
    if got is ABSENT:
        return False
    if got == want and type(got) is type(want):
        return True
    return not isinstance(got, (dict, list)) and str(got) == str(want)


def _override_text(o: Deployed, miss: tuple[Leaf, Any, Any], c: Change) -> str:
    path, want, got = miss
    where = _overrider(o, path, got, c.file)
    shown = "absent" if got is ABSENT else repr(got)
    wanted = "removed" if want is ABSENT else repr(want)
    return (
        f"the edit of {format_path(path)} ({wanted}) in {c.file} does not show in {o.env}: "
        f"{_obj(o)} is deployed with {shown}"
        + (f", set by {where[0]}:{where[1]}" if where else _build_note(o))
    )


def _build_note(o: Deployed) -> str:
    """Where to look when no patch document sets the value: the build's own transformers."""
    return (
        f" (set while building {o.env}: a generator, replacement, images: entry or transformer"
        f" of {', '.join(o.chain) or o.env})"
    )


def _overrider(o: Deployed, path: Leaf, got: Any, edited: str) -> tuple[str, int] | None:
    """The source that gives the rendered value: the last patch of the build that sets it."""
    hits = []
    for s in o.sources:
        if s.file == edited:
            continue
        have = leaves(s.obj)
        canon = canonical(s.obj, path)
        value = have.get(canon, ABSENT)
        if (got is ABSENT and value is None) or (value is not ABSENT and _same(value, got)):
            hits.append(s)
    if not hits:
        return None
    s = hits[-1] if len({h.file for h in hits}) == 1 else hits[0]
    return s.file, s.line_of(canonical(s.obj, path))


def _finding(
    c: Change,
    message: str,
    severity: str = "error",
    o: Deployed | None = None,
    miss: tuple[Leaf, Any, Any] | None = None,
) -> Finding:
    file, line = c.file, None
    if o is not None and miss is not None:
        where = _overrider(o, miss[0], miss[2], c.file)
        if where is not None:
            file, line = where
    return Finding(
        VALIDATOR, "error" if severity == "error" else "warning", message,
        file=file, line=line, ref=c.ref, path=c.path, rule="not-shown",
    )  # fmt: skip


def _unexplained(d: Delta, env: str) -> Finding:
    return Finding(
        VALIDATOR, "error",
        f"in {env}, a deployed change no edit of the plan explains: {d.describe()}",
        rule="unexplained",
    )  # fmt: skip


def _canon(o: Deployed, c: Change) -> Leaf:
    """The change's path in ``o``, up to the list item it selects: setting one field of a new
    item (``env[name=X].value``) also makes the item's key (``env[name=X].name``)."""
    if not c.path:
        return ()
    path = canonical(o.obj, parse_path(c.path))
    last = max((i for i, seg in enumerate(path) if isinstance(seg, Match)), default=-1)
    return path[: last + 1] if last >= 0 else path


def _related(a: Leaf, b: Leaf) -> bool:
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def _explains(ex: _Expect, d: Delta, old: Deployed | None, new: Deployed | None) -> bool:
    c = ex.change
    kind, name = _document(c)
    objs = [o for o in (new, old) if o is not None and o.made_from(c.file, kind, name)]
    if not objs:
        return False
    if ex.whole or d.path is None:
        return bool(ex.whole) or c.operation in ("add", "delete")
    if c.operation in ("add", "merge"):
        return any(_related(canonical(o.obj, p), d.path) for o in objs for p, _ in ex.leaves)
    return any(_related(_canon(o, c), d.path) for o in objs)


def _obj(o: Deployed) -> str:
    kind, _, name = o.key
    return f"{kind}/{name}"
