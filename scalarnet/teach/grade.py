"""``scalarnet grade``: mark students' answers to a quiz and name the mistakes behind the wrong ones.

The answers are CSV rows ``student,variant,quantity,value`` (with that header line). The
expected numbers are computed again from each variant's exercise file, as the quiz's
manifest (DIR/manifest.json) lists it and only if it is unchanged, never read from the key. An answer is right
when it agrees with the expected number to ``sig`` significant figures; a wrong one is
explained by the mistakes of ``scalarnet.diagnose`` that reproduce it to as many figures.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import secrets
import shutil
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..analysis import diagnose
from ..analysis.derive import StepDerivations
from ..engines.quantities import SIG, agrees, default_asked, describe, step_quantities
from ..engines.scalar import Exercise
from ..i18n import _, ngettext, pgettext
from ..views.derivation import markdown_text
from ..views.render import write_atomic
from ..views.table import aligned_rows, number, printable, shown
from . import quiz

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
        each student's variant, score, mistakes in words and report file are in ``summary["per_student"]``."""
        summary = self.summary()
        reports = report_names(list(self.students))
        summary["per_student"] = {sid: {"variant": s.variant, "right": s.right, "answered": len(s.quantities),
                                        "mistakes": s.mistakes, "report": f"grades/{reports[sid]}"}
                                  for sid, s in self.students.items()}
        return {"students": {sid: {"quantities": {q: a.to_json() for q, a in s.quantities.items()}}
                             for sid, s in self.students.items()},
                "summary": summary}


# -- reading -------------------------------------------------------------------------------
def variant_files(folder: Path) -> dict[int, Path]:
    """Variant id → its exercise file, as the quiz's manifest lists them: only those, and each
    only while it is the file the quiz wrote (its SHA-256 is in the manifest)."""
    manifest = _manifest(folder)
    found = {}
    for entry in manifest["variants"]:
        path = folder / entry["exercise"]
        if not path.is_file():
            raise GradeError(f"{path}: " + _("listed in {manifest} but missing; run {command} again").format(
                manifest=quiz.MANIFEST, command="`scalarnet quiz ... --force`"))
        if quiz.file_digest(path) != entry["sha256"]:
            raise GradeError(f"{path}: " + _("changed after the quiz wrote it ({manifest} holds its digest), so its "
                                             "key may not be the one handed out; put it back, or make the quiz "
                                             "again").format(manifest=quiz.MANIFEST))
        found[int(entry["id"])] = path
    return found


def _manifest(folder: Path) -> dict:
    path = folder / quiz.MANIFEST
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        entries = doc["variants"]
        for entry in entries:
            rel = Path(entry["exercise"])
            if rel.is_absolute() or ".." in rel.parts or isinstance(entry["id"], bool) or \
                    not isinstance(entry["id"], int) or not isinstance(entry["sha256"], str):
                raise ValueError(entry)
    except FileNotFoundError:
        raise GradeError(f"{folder}: " + _("no {manifest} here; give the folder {command} wrote (a quiz made by an "
                                           "older scalarnet: make it again)").format(
            manifest=quiz.MANIFEST, command="`scalarnet quiz ... --out DIR`")) from None
    except (OSError, ValueError, KeyError, TypeError):
        raise GradeError(f"{path}: " + _("not the manifest {command} writes; make the quiz again").format(
            command="`scalarnet quiz`")) from None
    if not entries:
        raise GradeError(f"{path}: " + _("lists no variants; make the quiz again"))
    return doc


# a number as students write it: ASCII digits, a point, an exponent (not 0_1, not ١, not 0,1)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_WHOLE = re.compile(r"[0-9]+")


def read_answers(path: Path) -> list[tuple[int, str, int, str, float]]:
    """(line, student, variant, quantity, value) for each row."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise GradeError(f"{path}: " + _("no such file")) from None
    except UnicodeDecodeError:
        raise GradeError(f"{path}: " + _("not a UTF-8 text file; save the answers as CSV (UTF-8)")) from None
    # rows end at line breaks only (\n, \r\n): a form feed or a line separator inside a row
    # stays in its field, where it is refused below
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    while True:
        first_line = reader.line_num + 1  # a quoted field may take the row over several lines
        row = next(reader, None)
        if row is None:
            break
        rows.append((first_line, row))
    if not rows or [c.strip().lower() for c in rows[0][1]] != HEADER:
        raise GradeError(_("{file}, line {line}: ").format(file=path, line=1) + _(
            "the header must be {header}; got {got}").format(
            header=",".join(HEADER), got=printable(",".join(rows[0][1])) if rows else _("an empty file")))
    out = [_answer(path, line, row) for line, row in rows[1:] if any(c.strip() for c in row)]
    if not out:
        raise GradeError(f"{path}: " + _("no answers: the file holds the header line only; add a row "
                                         "student,variant,quantity,value per answer"))
    return out


def _answer(path: Path, line: int, row: list[str]) -> tuple[int, str, int, str, float]:
    where = _("{file}, line {line}: ").format(file=path, line=line)
    if len(row) != 4:
        raise GradeError(where + _("expected 4 fields ({header}), got {n}").format(header=",".join(HEADER),
                                                                                  n=len(row)))
    student, variant, quantity, value = (c.strip() for c in row)
    value = value.replace("−", "-")  # the minus sign the answer keys print, copied
    if not student:
        raise GradeError(where + _("the student is empty; give an id such as s01"))
    if any(unicodedata.category(c)[0] == "C" for c in student):
        raise GradeError(where + _("the student {student} holds a line break or another control character; write "
                                   "the id on one line").format(student=_shown(student)))
    if not _WHOLE.fullmatch(variant):
        raise GradeError(where + _("variant {value} is not a whole number (digits 0-9)").format(
            value=_shown(variant)))
    if len(variant.lstrip("0")) > len(str(quiz.MAX_VARIANTS)):
        raise GradeError(where + _("there is no variant {k}: a quiz has at most {limit}").format(
            k=quiz.short_number(variant), limit=quiz.MAX_VARIANTS))
    if not _NUMBER.fullmatch(value):
        problem = _("value {value} is not a finite number") if _is_nonfinite(value) else \
            _("value {value} is not a number (write 0.123, not 0,123)")
        raise GradeError(where + problem.format(value=_shown(value)))
    return line, student, int(variant), quantity, float(value)


def _is_nonfinite(text: str) -> bool:
    try:
        return not math.isfinite(float(text))
    except ValueError:
        return False


def _shown(text: str, limit: int = 40) -> str:
    """A field of the CSV for a message: quoted, control characters as escapes, cut when long."""
    shown = repr(text if len(text) <= limit else text[:limit] + "…")
    return printable(shown)


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
                k=quiz.short_number(k), folder=folder, first=min(files), last=max(files)))
        if k not in variants:
            variants[k] = _Variant(files[k])
        v = variants[k]
        if q not in v.expected:
            raise GradeError(where + _("{quantity} is not a quantity of variant {k}; name a node or param for its "
                                       "value (out_o1, E), grad:w1 for a gradient, new:w1 for a weight after the "
                                       "update").format(quantity=_shown(q), k=k))
        s = students.setdefault(sid, Student(sid, k))
        if s.variant != k:
            raise GradeError(where + _("student {student} answers variant {k} here and variant {above} above; each "
                                       "student answers one variant").format(student=printable(sid), k=k,
                                                                             above=s.variant))
        if q in s.quantities:
            raise GradeError(where + _("student {student} answers {quantity} twice; keep one row").format(
                student=printable(sid), quantity=q))
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
        return [str(q) for q in _manifest(folder)["asked"]]
    except (GradeError, KeyError, TypeError):
        return None


# -- reports ---------------------------------------------------------------------------------------
def student_report(s: Student, loss: str, markdown: bool = True) -> str:
    """A student's report: Markdown for the file (``markdown``), else for a terminal. The id is
    the student's own text, so it is escaped for either (no HTML, no new heading, no escape
    sequence reaches a terminal)."""
    sid = markdown_text(s.id) if markdown else printable(s.id)
    out = ["# " + _("{student} · variant {k} · {right} of {n} right").format(
        student=sid, k=s.variant, right=s.right, n=len(s.quantities)), ""]
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


CLASS_REPORT, GRADES_JSON = "class.md", "grades.json"
MAX_NAME_BYTES = 120  # of a report's file name without .md: well inside every file system's 255
# names Windows keeps for devices (a file con.md cannot be made there)
_DEVICES = {"con", "prn", "aux", "nul", *(f"com{k}" for k in range(10)), *(f"lpt{k}" for k in range(10))}


def report_names(ids: list[str]) -> dict[str, str]:
    """Student id → the file name of its report: readable (letters and digits of any script
    kept, 张三 is 张三.md), never hidden, never the class report's, and unique even where the
    file system ignores case; an id whose name is taken, by another id or a reserved name, gets
    -2, -3, … The ids that are their own file names are served first."""
    taken = {Path(CLASS_REPORT).stem, Path(GRADES_JSON).stem, *_DEVICES}
    names: dict[str, str] = {}
    plain = {sid: _file_stem(sid) for sid in ids}
    for sid in sorted(ids, key=lambda i: plain[i] != i):  # stable: otherwise in the order of the answers
        stem, k = plain[sid], 1
        while (stem if k == 1 else f"{stem}-{k}").casefold() in taken:
            k += 1
        name = stem if k == 1 else f"{stem}-{k}"
        taken.add(name.casefold())
        names[sid] = name + ".md"
    return {sid: names[sid] for sid in ids}


def _file_stem(sid: str) -> str:
    """An id as a file name: NFC, letters, digits, '-', '_' and inner dots kept, the rest '_';
    cut to MAX_NAME_BYTES of UTF-8; 'student' when nothing is left."""
    text = "".join(c if c.isalnum() or c in "-_." else "_" for c in unicodedata.normalize("NFC", sid))
    text = text.strip(".")  # no hidden file, no '.' or '..', no name ending in a dot (Windows drops it)
    while len(text.encode("utf-8")) > MAX_NAME_BYTES:
        text = text[:-1]
    return text if text.strip("_") else "student"


def write_reports(g: Grades) -> list[Path]:
    """DIR/grades/<student>.md, DIR/grades/class.md and DIR/grades/grades.json, replacing the
    folder whole: written beside it, then swapped in (no report of an earlier grading is left
    among these)."""
    folder = g.folder / "grades"
    staging = g.folder / f".grades-{secrets.token_hex(4)}"
    names = report_names(list(g.students))
    files = {names[sid]: student_report(s, g.loss).encode("utf-8") for sid, s in g.students.items()}
    files[CLASS_REPORT] = class_report(g).encode("utf-8")
    files[GRADES_JSON] = (json.dumps(g.to_json(), ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    try:
        for name, data in files.items():
            write_atomic(staging / name, data)
        _swap(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [folder / name for name in files]


def _swap(staging: Path, folder: Path) -> None:
    if not folder.exists():
        os.rename(staging, folder)
        return
    old = staging.with_name(staging.name + "-old")
    os.rename(folder, old)
    try:
        os.rename(staging, folder)
    except BaseException:
        os.rename(old, folder)  # the earlier grades back
        raise
    shutil.rmtree(old, ignore_errors=True)
