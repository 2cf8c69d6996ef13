"""``scalarnet grade``: mark students' answers to a quiz and name the mistakes behind the wrong ones.

The answers are CSV rows ``student,variant,quantity,value`` (with that header line). The
expected numbers are computed again from each variant's exercise file (DIR/variant-NN/
exercise.toml, as ``scalarnet quiz`` wrote it), never read from the key. An answer is right
when it agrees with the expected number to ``sig`` significant figures; a wrong one is
explained by the mistakes of ``scalarnet.diagnose`` that reproduce it to as many figures.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..analysis import diagnose
from ..analysis.derive import StepDerivations
from ..engines.quantities import SIG, agrees, default_asked, describe, step_quantities
from ..engines.scalar import Exercise
from ..i18n import _, ngettext, pgettext
from ..views.render import write_atomic
from ..views.table import aligned_rows, number, shown

HEADER = ["student", "variant", "quantity", "value"]
MOST_COMMON = len(diagnose.MISTAKES)  # mistakes listed in the class summary, most common first


class GradeError(ValueError):
    """Bad answers or a folder that is not a quiz; the message names the file and line."""


@dataclass
class Answer:
    expected: float
    got: float
    ok: bool
    diagnosis: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"expected": self.expected, "got": self.got, "ok": self.ok, "diagnosis": self.diagnosis}


@dataclass
class Student:
    id: str
    variant: int
    quantities: dict[str, Answer] = field(default_factory=dict)
    mistakes: list[str] = field(default_factory=list)  # the diagnosis in words

    @property
    def right(self) -> int:
        return sum(a.ok for a in self.quantities.values())


@dataclass
class Grades:
    folder: Path
    sig: int
    asked: list[str]
    loss: str
    students: dict[str, Student]

    def summary(self) -> dict:
        per_quantity: dict[str, dict[str, int]] = {}
        for s in self.students.values():
            for q, a in s.quantities.items():
                entry = per_quantity.setdefault(q, {"answered": 0, "right": 0})
                entry["answered"] += 1
                entry["right"] += a.ok
        mistakes = Counter(m for s in self.students.values()
                           for m in dict.fromkeys(i for a in s.quantities.values() for i in a.diagnosis))
        unexplained = sum(1 for s in self.students.values() for a in s.quantities.values()
                          if not a.ok and not a.diagnosis)
        return {"students": len(self.students), "sig": self.sig,
                "quantities": {q: per_quantity[q] for q in [*self.asked, *per_quantity] if q in per_quantity},
                "mistakes": dict(mistakes.most_common()),
                "most_common_mistakes": [{"id": m, "students": n, "what": diagnose.MISTAKES[m]}
                                         for m, n in mistakes.most_common(MOST_COMMON)],
                "unexplained_wrong_answers": unexplained}

    def to_json(self) -> dict:
        """``{"students": {id: {"quantities": {q: {"expected", "got", "ok", "diagnosis"}}}}, "summary": {…}}``;
        each student's variant, score and mistakes in words are in ``summary["per_student"]``."""
        summary = self.summary()
        summary["per_student"] = {sid: {"variant": s.variant, "right": s.right, "answered": len(s.quantities),
                                        "mistakes": s.mistakes} for sid, s in self.students.items()}
        return {"students": {sid: {"quantities": {q: a.to_json() for q, a in s.quantities.items()}}
                             for sid, s in self.students.items()},
                "summary": summary}


# -- reading -------------------------------------------------------------------------------
def variant_files(folder: Path) -> dict[int, Path]:
    """Variant id → its exercise file, from the folder ``scalarnet quiz`` wrote."""
    found = {}
    for path in sorted(folder.glob("variant-*/exercise.toml")):
        m = re.fullmatch(r"variant-(\d+)", path.parent.name)
        if m:
            found[int(m[1])] = path
    if not found:
        raise GradeError(f"{folder}: " + _("no variant-NN/exercise.toml here; give the folder {command} "
                                           "wrote").format(command="`scalarnet quiz ... --out DIR`"))
    return found


def read_answers(path: Path) -> list[tuple[int, str, int, str, float]]:
    """(line, student, variant, quantity, value) for each row."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise GradeError(f"{path}: " + _("no such file")) from None
    except UnicodeDecodeError:
        raise GradeError(f"{path}: " + _("not a UTF-8 text file; save the answers as CSV (UTF-8)")) from None
    rows = list(csv.reader(text.splitlines()))
    if not rows or [c.strip().lower() for c in rows[0]] != HEADER:
        raise GradeError(_("{file}, line {line}: ").format(file=path, line=1) + _(
            "the header must be {header}; got {got}").format(
            header=",".join(HEADER), got=",".join(rows[0]) if rows else _("an empty file")))
    out = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        where = _("{file}, line {line}: ").format(file=path, line=line)
        if len(row) != 4:
            raise GradeError(where + _("expected 4 fields ({header}), got {n}").format(header=",".join(HEADER),
                                                                                      n=len(row)))
        student, variant, quantity, value = (c.strip() for c in row)
        if not student:
            raise GradeError(where + _("the student is empty; give an id such as s01"))
        try:
            k = int(variant)
        except ValueError:
            raise GradeError(where + _("variant {value} is not a whole number").format(value=repr(variant))) from None
        try:
            got = float(value.replace("−", "-"))  # the minus sign the answer keys print, copied
        except ValueError:
            raise GradeError(where + _("value {value} is not a number (write 0.123, not 0,123)").format(
                value=repr(value))) from None
        if not math.isfinite(got):
            raise GradeError(where + _("value {value} is not a finite number").format(value=repr(value)))
        out.append((line, student, k, quantity, got))
    return out


# -- grading ---------------------------------------------------------------------------------
class _Variant:
    """One variant's step computed by the engine, with its catalogue of mistakes."""

    def __init__(self, path: Path) -> None:
        steps = StepDerivations.at(Exercise.load(path), 1)
        self.record = steps.record
        self.expected = step_quantities(steps.record)
        self.mistakes = diagnose.catalogue(steps)


def grade(folder: str | Path, answers: str | Path, sig: int = SIG) -> Grades:
    folder, answers = Path(folder), Path(answers)
    files = variant_files(folder)
    variants: dict[int, _Variant] = {}
    students: dict[str, Student] = {}
    for line, sid, k, q, got in read_answers(answers):
        where = _("{file}, line {line}: ").format(file=answers, line=line)
        if k not in files:
            raise GradeError(where + _("there is no variant {k} in {folder}; the variants are {first}…{last}").format(
                k=k, folder=folder, first=min(files), last=max(files)))
        if k not in variants:
            variants[k] = _Variant(files[k])
        v = variants[k]
        if q not in v.expected:
            raise GradeError(where + _("{quantity} is not a quantity of variant {k}; name a node or param for its "
                                       "value (out_o1, E), grad:w1 for a gradient, new:w1 for a weight after the "
                                       "update").format(quantity=repr(q), k=k))
        s = students.setdefault(sid, Student(sid, k))
        if s.variant != k:
            raise GradeError(where + _("student {student} answers variant {k} here and variant {above} above; each "
                                       "student answers one variant").format(student=sid, k=k, above=s.variant))
        if q in s.quantities:
            raise GradeError(where + _("student {student} answers {quantity} twice; keep one row").format(
                student=sid, quantity=q))
        s.quantities[q] = Answer(v.expected[q], got, agrees(got, v.expected[q], sig))
    for s in students.values():
        _diagnose(s, variants[s.variant], sig)
    first = next(iter(variants.values()), None) or _Variant(files[min(files)])
    asked = _asked(folder) or default_asked(first.record)
    return Grades(folder, sig, asked, first.record.loss_name, students)


def _diagnose(s: Student, v: _Variant, sig: int) -> None:
    wrong = {q: a.got for q, a in s.quantities.items() if not a.ok}
    if not wrong:
        return
    found = diagnose.explain(wrong, v.expected, v.mistakes, lambda got, x: agrees(got, x, sig))
    for q in wrong:
        s.quantities[q].diagnosis = found.ids(q)
    s.mistakes = found.lines()


def _asked(folder: Path) -> list[str] | None:
    try:
        return list(json.loads((folder / "summary.json").read_text(encoding="utf-8"))["asked"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


# -- reports ---------------------------------------------------------------------------------------
def student_report(s: Student, loss: str) -> str:
    out = ["# " + _("{student} · variant {k} · {right} of {n} right").format(
        student=s.id, k=s.variant, right=s.right, n=len(s.quantities)), ""]
    rows = [[q, shown(describe(q, loss)), number(a.expected, 6), number(a.got, 6),
             pgettext("grade", "ok") if a.ok else pgettext("grade", "WRONG"), ", ".join(a.diagnosis)]
            for q, a in s.quantities.items()]
    header = [_("quantity"), _("what"), pgettext("grade", "expected"), pgettext("grade", "got"), "", _("mistake")]
    out += aligned_rows(header, rows, indent="    ")
    if s.mistakes:
        out += ["", _("What went wrong:"), ""] + [f"    {shown(line)}" for line in s.mistakes]
    elif s.right < len(s.quantities):
        out += ["", _("No mistake of the catalogue reproduces the wrong answers: compare with the key's derivation.")]
    return "\n".join(out) + "\n"


def class_report(g: Grades) -> str:
    summary = g.summary()
    out = ["# " + _("Class summary · {n} students · right to {sig} significant figures").format(
        n=summary["students"], sig=g.sig), ""]
    rows = [[q, shown(describe(q, g.loss)), f"{e['right']}/{e['answered']}"] for q, e in summary["quantities"].items()]
    out += aligned_rows([_("quantity"), _("what"), _("right")], rows, indent="    ")
    out += ["", _("Most common mistakes:"), ""]
    out += ["    " + ngettext("{id}: {n} student ({what})", "{id}: {n} students ({what})", m["students"]).format(
        id=m["id"], n=m["students"], what=_(m["what"])) for m in summary["most_common_mistakes"]] or [
        "    " + _("none")]
    if summary["unexplained_wrong_answers"]:
        out.append("    " + _("({n} wrong answers no mistake of the catalogue explains)").format(
            n=summary["unexplained_wrong_answers"]))
    return "\n".join(out) + "\n"


def write_reports(g: Grades) -> list[Path]:
    """DIR/grades/<student>.md, DIR/grades/class.md and DIR/grades/grades.json."""
    folder = g.folder / "grades"
    written = []
    for s in g.students.values():
        path = folder / (re.sub(r"[^A-Za-z0-9._-]", "_", s.id) + ".md")
        write_atomic(path, student_report(s, g.loss).encode("utf-8"))
        written.append(path)
    write_atomic(folder / "class.md", class_report(g).encode("utf-8"))
    write_atomic(folder / "grades.json", (json.dumps(g.to_json(), ensure_ascii=False, indent=1) + "\n").encode())
    return [*written, folder / "class.md", folder / "grades.json"]
