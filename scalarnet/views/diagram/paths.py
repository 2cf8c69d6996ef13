"""What ``--param NAME`` says beside the red paths: how many paths lead from the parameter to
the loss, and, when they are few, each path's product of partials (they sum to the gradient).

Paths are counted by dynamic programming over the arrows (a chain of n nodes that each use
the one before twice has 2ⁿ paths: they are counted, never listed); when there are many,
the note gives their number and the delta form instead, ∂L/∂w = Σ ∂L/∂child · ∂child/∂w over
the parameter's own arrows."""

from __future__ import annotations

from ...i18n import _, ngettext
from .scene import Arrow, Scene
from .subject import Subject
from .text import num, pretty

MAX_LISTED = 6  # paths listed one by one; more are counted


def count_paths(scene: Scene, start: set[str], top: str) -> dict[str, int]:
    """box -> the number of paths from it up to ``top`` (exact integers), for the boxes below
    ``top``; ``start`` only decides where counting begins to matter."""
    out: dict[str, list[str]] = {}
    for a in scene.arrows:
        out.setdefault(a.parent, []).append(a.child)
    count: dict[str, int] = {}
    for key in _post_order(start, out):
        count[key] = 1 if key == top else sum(count.get(c, 0) for c in out.get(key, ()))
    return count


def _post_order(start: set[str], out: dict[str, list[str]]) -> list[str]:
    """Boxes reachable from ``start``, each after all the boxes it leads to (iterative)."""
    order, seen = [], set()
    for s in sorted(start):
        stack = [(s, iter(out.get(s, ())))]
        seen.add(s)
        while stack:
            key, children = stack[-1]
            nxt = next((c for c in children if c not in seen), None)
            if nxt is None:
                order.append(key)
                stack.pop()
            else:
                seen.add(nxt)
                stack.append((nxt, iter(out.get(nxt, ()))))
    return order


def paths_note(subject: Subject, scene: Scene, param: str, top: str) -> list[str]:
    node = subject.param(param)
    if node is None:
        return []
    loss, name = pretty(subject.loss_symbol), pretty(param)
    head = f"∂{loss}/∂{name} = {num(node.grad)}"
    seeds = {k for k, b in scene.boxes.items() if param in b.params}
    seed_arrows = [a for a in scene.arrows if param in a.params]
    if seed_arrows:  # the neuron and layer levels: the parameter is a connection
        counts = count_paths(scene, {a.child for a in seed_arrows}, top)
        n = sum(counts.get(a.child, 0) for a in seed_arrows)
        return [_("red: {name}'s connection and its {paths} to {loss}").format(name=name, paths=_many(n), loss=loss),
                head]
    counts = count_paths(scene, seeds, top)
    n = sum(counts.get(k, 0) for k in seeds)
    lines = [_("red: the {paths} from {name} to {loss}; {gradient}").format(paths=_many(n), name=name, loss=loss,
                                                                            gradient=head)]
    titles = {k: b.title for k, b in scene.boxes.items()}
    if 0 < n <= MAX_LISTED and all(a.partial is not None for a in scene.arrows):
        lines.append(_("= the sum over the paths of the products of their partials:"))
        for path in _paths(scene, seeds, top):
            product = 1.0
            for a in path:
                product *= a.partial  # type: ignore[operator]
            factors = " × ".join(num(a.partial) for a in path)  # type: ignore[arg-type]
            route = " → ".join([titles[path[0].parent], *(titles[a.child] for a in path)])
            lines.append(f"  {route}: {factors} = {num(product)}")
        return lines
    own = [a for a in scene.arrows if a.parent in seeds and a.partial is not None]
    grads = {id(b.node): b.node.grad for b in scene.boxes.values() if b.node is not None}
    terms = [f"{num(grads.get(id(scene.boxes[a.child].node), 0.0))} × {num(a.partial)}"  # type: ignore[arg-type]
             for a in own]
    lines.append(_("= Σ ∂{loss}/∂child × ∂child/∂{name} over {name}'s arrows (the delta form):").format(
        loss=loss, name=name))
    lines.append("  = " + (" + ".join(terms[:8]) + (" + …" if len(terms) > 8 else "")))
    return lines


def _many(n: int) -> str:
    return ngettext("{n} path", "{n} paths", n).format(n=n if n < 10**6 else f"{n:.3e}")


def _paths(scene: Scene, seeds: set[str], top: str) -> list[list[Arrow]]:
    """Every path from a seed to ``top`` (only called when there are few)."""
    out: dict[str, list[Arrow]] = {}
    for a in scene.arrows:
        out.setdefault(a.parent, []).append(a)
    found, stack = [], [(s, []) for s in sorted(seeds)]
    while stack:
        key, path = stack.pop()
        if key == top:
            found.append(path)
            continue
        for a in reversed(out.get(key, ())):
            stack.append((a.child, [*path, a]))
    return found
