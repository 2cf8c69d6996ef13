"""``show(..., live=True)`` in a notebook: the live page's parts as ipywidgets. A slider per
parameter, input, target and the learning rate recomputes the step in the kernel; the
picture, the table, the narration and the derivation are updated in place, in one layout."""

from __future__ import annotations

import html

from ...engines.scalar import Exercise
from ...i18n import _
from ...spec.bundled import resolve
from .page import GROUPS
from .session import Live, LiveError, cli_words

MARKS = {"highlight": "stroke: #d62728; stroke-width: 3px;", "current": "stroke: #e07000; stroke-width: 4px;"}


def live_session(exercise: Exercise | str, steps: int, param: str | None) -> Live:
    """A file or a bundled name is followed; a loaded exercise starts from its spec's numbers."""
    if isinstance(exercise, Exercise):
        return Live(steps=steps, param=param, learning_rate=exercise.learning_rate, spec=exercise.spec)
    return Live(resolve(exercise), steps, param)


def live_widget(exercise: Exercise | str, steps: int = 1, param: str | None = None):
    import ipywidgets as widgets

    live = live_session(exercise, steps, param)
    sliders = {}
    for c in live.controls.values():
        sliders[c.key] = widgets.FloatSlider(value=c.value, min=c.low, max=c.high,
                                             step=c.step, description=c.name if c.kind == "rate" else c.key,
                                             readout_format=".4g", tooltip=_(GROUPS[c.kind]))
    frame = widgets.IntSlider(min=0, max=0, description=_("frame"))
    choose = widgets.Dropdown(options=live.params, value=live.param, description=_("parameter"))
    narration, problem = widgets.HTML(), widgets.HTML()
    picture = widgets.HTML(layout=widgets.Layout(width="62%", overflow="auto"))
    side = widgets.HTML(layout=widgets.Layout(width="38%"))

    def update(_change=None) -> None:
        values = {key: s.value for key, s in sliders.items()}
        try:
            state = live.state(values, choose.value, frame.value)
        except (LiveError, ArithmeticError) as err:  # the last good picture stays
            problem.value = f'<p style="color: #a33">{html.escape(cli_words(err))}</p>'
            return
        problem.value = ""
        frame.max = sum(state["counts"]) - 1
        shown = state["frames"][state["frame"] - state["first"]]
        if state["picture"] is not None:
            picture.value = f"<style>{_marks(state['highlight'], shown)}</style>{state['picture']['svg']}"
        narration.value = f"<b>{html.escape(shown['narration'])}</b>"
        side.value = (f"<style>{shown['style']}</style><h4>{html.escape(shown['label'])}</h4>"
                      f'<div id="tables">{state["table"]}</div><pre>{html.escape(state["derivation"])}</pre>')

    for s in (*sliders.values(), frame, choose):
        s.observe(update, "value")
    update()
    return widgets.VBox([widgets.HBox([frame, choose]), narration, problem,
                         widgets.HBox([widgets.VBox(list(sliders.values())), picture, side])])


def _marks(highlight: list[str], frame: dict) -> str:
    """CSS marking the chosen parameter's paths and the frame's boxes (no script runs in the widget)."""
    rules = [(i, MARKS["highlight"]) for i in highlight] + [(i, MARKS["current"]) for i in frame["current"]]
    style = "".join(f'[id="{i}"] polygon, [id="{i}"] path {{ {rule} }}' for i, rule in rules)
    return style + "".join(f'[id="{i}"] {{ opacity: 0.3; }}' for i in frame["pending"])
