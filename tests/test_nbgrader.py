"""The assignments under the real nbgrader: a throw-away course, several submissions per assignment.

For each instructor notebook: ``nbgrader generate_assignment``, then ``nbgrader autograde`` on
* ``solution``:   the release version with the instructor's solutions filled in → every autograded point;
* ``untouched``:  the release version as a student receives it                 → zero;
* ``wrong``:      a plausible mistake in every task (a Gram matrix divided by M, a content loss without ½ …) → zero;
* ``wrong_<task>``: the instructor's answers but one mistake                   → all but that task's points;
then ``nbgrader generate_feedback`` and ``nbgrader export`` to a CSV whose scores are checked. Needs the
``course`` extra.
"""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import torch

from nst_edu.grading import release as assignments

pytest.importorskip("nbgrader", reason="needs the course extra: pip install -e '.[course]'")

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "notebooks" / "assignments"
MIRROR = Path(os.environ.get("NST_EDU_MIRROR", ROOT.parent / "shared" / "images"))
ASSIGNMENTS = {f"a{p.name[:2]}": p for p in sorted(SRC.glob("*.ipynb"))}  # a01 → 01_losses.ipynb …

# Plausible wrong answers, by the grade_id of the solution cell they replace: each a real mistake
# that its check must catch (test_every_wrong_answer_fails_its_check, without nbgrader).
WRONG = {
    "gram_matrix": ("def gram_matrix(F):\n    flat = as_matrix(F)\n"
                    "    return flat @ flat.T / flat.shape[-1]  # divided by M\n"),
    "content_loss": "def content_loss(F, P):\n    return ((F - P) ** 2).sum()  # no 1/2\n",
    "style_layer_loss": (
        "def style_layer_loss(F, A):\n    Fm = as_matrix(F)\n    N, M = Fm.shape\n"
        "    return ((Fm @ Fm.T - A) ** 2).sum() / (N**2 * M**2)  # the 4 of eq. (4) forgotten\n"
    ),
    "total_loss": ("def total_loss(content, style, alpha, beta):\n"
                   "    return beta * content + alpha * style  # alpha and beta swapped\n"),
    "content_loss_grad": "def content_loss_grad(F, P):\n    return F - P  # forgot the ReLU mask\n",
    "style_layer_loss_grad": (
        "def style_layer_loss_grad(F, A):\n    Fm = as_matrix(F)\n    N, M = Fm.shape\n"
        "    g = (Fm.T @ (gram_matrix(Fm) - A)).T / (4 * N**2 * M**2)  # eq. (4)'s 4 kept in eq. (6)\n"
        "    return g.reshape(F.shape) * (F > 0).to(F.dtype)\n"
    ),
    "reconstruct_content": (
        "def reconstruct_content(model, content_image, layer, init, steps):\n"
        "    return init.clone()  # never optimised\n"
    ),
    "tv_loss": ("def tv_loss(image):\n    # torch.roll wraps around: the last row is compared with the first\n"
                "    return (image.roll(-1, -2) - image).pow(2).sum() + (image.roll(-1, -1) - image).pow(2).sum()\n"),
    "style_loss": ("def style_loss(features, style_features, weights):\n"
                   "    # the responses compared directly, not their Gram matrices\n"
                   "    return sum(weights[n] * ((F - style_features[n]) ** 2).sum() for n, F in features.items())\n"),
    "reconstruct_style": (
        "def reconstruct_style(model, style_image, style_layers, init, steps):\n"
        "    layers = style_layers[-1:]  # only the highest layer of the set\n"
        "    with torch.no_grad():\n        A = {n: gram_matrix(F) for n, F in model(style_image, layers).items()}\n"
        "    x = init.clone().requires_grad_(True)\n"
        "    opt = torch.optim.LBFGS([x], max_iter=steps, max_eval=steps, line_search_fn='strong_wolfe')\n"
        "    def closure():\n        opt.zero_grad()\n"
        "        loss = sum(style_layer_loss(F, A[n]) for n, F in model(x, layers).items())\n"
        "        loss.backward()\n        return loss\n"
        "    opt.step(closure)\n    return x.detach()\n"
    ),
    "growing_layers": ("def growing_layers(model, style_image, init, steps):\n"
                       "    # one layer at a time, not the growing sets of Fig. 1\n"
                       "    return {n: reconstruct_style(model, style_image, [n], init, steps)\n"
                       "            for n in STYLE_LAYERS}\n"),
    "ratio_study": (
        "def ratio_study(content_image, style_image, ratios, steps):\n"
        "    # alpha and beta swapped\n"
        "    return {r: synthesize(content_image, style_image, alpha=1.0, beta=r, steps=steps,\n"
        "                          progress=False).image for r in ratios}\n"
    ),
}
#: More real mistakes per task, each caught by its check (without nbgrader).
MORE_WRONG = {
    "style_loss": [
        ("def style_loss(features, style_features, weights):\n    # the weights w_l left out: a plain mean\n"
         "    terms = [style_layer_loss(F, gram_matrix(style_features[n])) for n, F in features.items()]\n"
         "    return sum(terms) / len(terms)\n"),
        ("def style_loss(features, style_features, weights):\n    # A^l from the image's own responses\n"
         "    return sum(weights[n] * style_layer_loss(F, gram_matrix(F)) for n, F in features.items())\n"),
    ],
    "reconstruct_style": [
        ("def reconstruct_style(model, style_image, style_layers, init, steps):\n"
         "    return init.clone()  # never optimised\n"),
        ("def reconstruct_style(model, style_image, style_layers, init, steps):\n"
         "    # the loop optimises towards the painting's pixels, not its Gram matrices\n"
         "    x = init.clone().requires_grad_(True)\n    opt = torch.optim.Adam([x], lr=0.05)\n"
         "    for _ in range(steps):\n        opt.zero_grad()\n        loss = ((x - style_image) ** 2).sum()\n"
         "        loss.backward()\n        opt.step()\n    return x.detach()\n"),
    ],
    "growing_layers": [
        ("def growing_layers(model, style_image, init, steps):\n    # all five layers every time\n"
         "    return {n: reconstruct_style(model, style_image, list(STYLE_LAYERS), init, steps)\n"
         "            for n in STYLE_LAYERS}\n"),
    ],
    "tv_loss": [
        "def tv_loss(image):\n    return (image[..., 1:, :] - image[..., :-1, :]).pow(2).sum()  # vertical only\n",
        ("def tv_loss(image):\n    # absolute values, not squares\n"
         "    return ((image[..., 1:, :] - image[..., :-1, :]).abs().sum()\n"
         "            + (image[..., :, 1:] - image[..., :, :-1]).abs().sum())\n"),
        ("def tv_loss(image):\n    # a mean, not a sum\n"
         "    return ((image[..., 1:, :] - image[..., :-1, :]).pow(2).mean()\n"
         "            + (image[..., :, 1:] - image[..., :, :-1]).pow(2).mean())\n"),
        ("def tv_loss(image):\n    d = image.detach()  # cut from autograd: the optimiser gets no gradient\n"
         "    return (d[..., 1:, :] - d[..., :-1, :]).pow(2).sum() + (d[..., :, 1:] - d[..., :, :-1]).pow(2).sum()\n"),
    ],
}
#: Correct answers written differently from the instructor's (the checks must not demand one way).
ALSO_RIGHT = {
    "style_loss": ("def style_loss(features, style_features, weights):\n"
                   "    terms = [weights[n] * style_layer_loss(F, gram_matrix(style_features[n]))\n"
                   "             for n, F in features.items()]\n"
                   "    return torch.stack(terms).sum()\n"),
    "tv_loss": ("def tv_loss(image):\n"
                "    return torch.diff(image, dim=-2).square().sum() + torch.diff(image, dim=-1).square().sum()\n"),
    "style_layer_loss": (
        "def style_layer_loss(F, A):\n    Fm = as_matrix(F)\n    N, M = Fm.shape\n"
        "    return ((Fm @ Fm.T - A) ** 2).sum() / (4 * N**2 * M**2)\n"
    ),
    "total_loss": "def total_loss(content, style, alpha, beta):\n    return alpha * content + beta * style\n",
    "style_layer_loss_grad": (
        "def style_layer_loss_grad(F, A):\n    Fm = as_matrix(F)\n    N, M = Fm.shape\n"
        "    g = (Fm.T @ (gram_matrix(Fm) - A)).T / (N**2 * M**2)\n"
        "    return g.reshape(F.shape) * (F > 0).to(F.dtype)\n"
    ),
}
#: autograded points each wrong submission keeps: none, every check meets its mistake
WRONG_SCORE = {"a01": 0, "a02": 0, "a03": 0, "a04": 0, "a05": 0, "a06": 0, "a07": 0}


def _answer(source: str, grade_id: str):
    """The function a solution cell defines, with what the assignment notebooks import around it."""
    from nst_edu.losses import as_matrix, gram_matrix, style_layer_loss
    from nst_edu.synthesis import synthesize
    from nst_edu.vgg import STYLE_LAYERS

    namespace = {"as_matrix": as_matrix, "gram_matrix": gram_matrix, "style_layer_loss": style_layer_loss,
                 "synthesize": synthesize, "STYLE_LAYERS": STYLE_LAYERS, "torch": torch}
    if grade_id == "growing_layers":  # it builds on the instructor's answers to tasks 1 and 2 of assignment 4
        teacher = _solutions(nbformat.read(ASSIGNMENTS["a04"], as_version=4))
        for earlier in ("style_loss", "reconstruct_style"):
            exec(teacher[earlier].source, namespace)
    exec(source, namespace)
    return namespace[grade_id]


def _check(grade_id: str, answer) -> bool:
    from nst_edu import grading
    from nst_edu.teaching.images import load_image, match_pixel_count

    if grade_id == "ratio_study":
        content_image = load_image("tubingen", 32)
        style_image = match_pixel_count(load_image("starry_night"), content_image)
        return grading.check_ratio_study(answer, content_image, style_image).passed
    if grade_id == "growing_layers":  # the assignment's quick mode: 64 px, 40 steps
        from nst_edu.vgg import STYLE_LAYERS, vgg19

        style_image = load_image("starry_night", 64)
        init = 0.5 + 0.1 * (2 * torch.rand(style_image.shape, generator=torch.Generator().manual_seed(0)) - 1)
        return grading.check_growing_layers(answer, vgg19(layers=list(STYLE_LAYERS)), style_image, init, 40).passed
    check = {"reconstruct_content": "check_synthesis_loop",
             "reconstruct_style": "check_texture_synthesis"}.get(grade_id, f"check_{grade_id}")
    return getattr(grading, check)(answer).passed


@pytest.mark.parametrize("grade_id", sorted(WRONG))
def test_every_wrong_answer_fails_its_check(grade_id: str, mirror: Path) -> None:
    assert not _check(grade_id, _answer(WRONG[grade_id], grade_id)), f"check_{grade_id} passed a wrong answer"


@pytest.mark.parametrize("grade_id, k", [(g, k) for g, wrong in sorted(MORE_WRONG.items()) for k in range(len(wrong))])
def test_more_real_mistakes_fail_their_check(grade_id: str, k: int) -> None:
    assert not _check(grade_id, _answer(MORE_WRONG[grade_id][k], grade_id)), MORE_WRONG[grade_id][k]


@pytest.mark.parametrize("grade_id", sorted(ALSO_RIGHT))
def test_other_correct_answers_pass_their_check(grade_id: str) -> None:
    assert _check(grade_id, _answer(ALSO_RIGHT[grade_id], grade_id)), f"check_{grade_id} failed a right answer"


def _nbgrader(course: Path, *args: str, timeout: float = 900) -> None:
    # nbgrader's kernels inherit this environment: the mirror, and quick mode (grading runs in full mode, as
    # students do, unless NST_EDU_QUICK says otherwise; here every submission in quick mode keeps the test short)
    env = dict(os.environ, NST_EDU_QUICK="1", NST_EDU_MIRROR=str(MIRROR))
    # nbgrader runs the `alembic` command of its environment, as if the venv were activated
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, f"nbgrader {' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


def _solutions(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def _mistakes(path: Path) -> list[str]:
    """The tasks of an assignment that have a plausible wrong answer in WRONG."""
    return [g for g in _solutions(nbformat.read(path, as_version=4)) if g in WRONG]


def _task_points(nb: nbformat.NotebookNode) -> dict[str, float]:
    """{grade_id of a solution cell: points of the autograded check cell that follows it}."""
    points, task = {}, None
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            task = meta["grade_id"]
        elif meta.get("grade") and not meta.get("solution") and task is not None:
            points[task], task = meta["points"], None
    return points


def _points(nb: nbformat.NotebookNode, manual: bool) -> float:
    """Autograded (manual=False) or hand-graded (manual=True: written answers and task cells) points of a
    source notebook."""
    meta = [c.metadata["nbgrader"] for c in nb.cells if "nbgrader" in c.metadata]
    return sum(m.get("points", 0) for m in meta
               if (m.get("grade") and m["solution"] == manual) or (manual and m.get("task")))


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (MIRROR / "tubingen.jpg").exists():
        pytest.skip("needs the image mirror")
    course = tmp_path_factory.mktemp("course")
    # The instructor's setup, as README "For instructors" describes it.
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'nst-edu'\n"
        "c.ExecutePreprocessor.timeout = 600  # a synthesis cell can take minutes\n"
    )
    for name, path in ASSIGNMENTS.items():
        (course / "source" / name).mkdir(parents=True)
        (course / "source" / name / path.name).write_bytes(path.read_bytes())
        (course / "source" / name / "COURSE.md").write_bytes((SRC / "COURSE.md").read_bytes())  # the students' page
        _nbgrader(course, "generate_assignment", name, "--force")
        assert (course / "release" / name / "COURSE.md").is_file()  # nbgrader releases it beside the notebook
        release = nbformat.read(course / "release" / name / path.name, as_version=4)
        teacher = _solutions(nbformat.read(path, as_version=4))
        # one student per mistake: the instructor's answers but for that one task
        for student in ("solution", "untouched", "wrong", *(f"wrong_{g}" for g in _mistakes(path))):
            nb = nbformat.from_dict(json.loads(json.dumps(release)))
            for grade_id, cell in _solutions(nb).items():
                if student in ("solution", "wrong") or student.startswith("wrong_"):
                    cell.source = teacher[grade_id].source
                if (student == "wrong" or student == f"wrong_{grade_id}") and grade_id in WRONG:
                    cell.source = WRONG[grade_id]
            folder = course / "submitted" / student / name
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / path.name)
        _nbgrader(course, "autograde", name, "--create")
        _nbgrader(course, "generate_feedback", name)  # what each student gets back: one HTML page per notebook
    _nbgrader(course, "export", "--to", str(course / "grades.csv"))
    return course


def _grades(course: Path) -> dict[tuple[str, str], dict[str, str]]:
    with open(course / "grades.csv", newline="") as f:
        return {(row["assignment"], row["student_id"]): row for row in csv.DictReader(f)}


@pytest.mark.parametrize("name", sorted(ASSIGNMENTS))
def test_nbgrader_scores_solution_full_untouched_zero_wrong_partial(course: Path, name: str) -> None:
    source = nbformat.read(ASSIGNMENTS[name], as_version=4)
    auto, manual = _points(source, manual=False), _points(source, manual=True)
    grades = _grades(course)
    assert float(grades[(name, "solution")]["max_score"]) == auto + manual
    assert float(grades[(name, "solution")]["score"]) == auto  # written answers wait for the instructor
    assert float(grades[(name, "untouched")]["score"]) == 0
    assert float(grades[(name, "wrong")]["score"]) == WRONG_SCORE[name]


@pytest.mark.parametrize("name, grade_id", [(n, g) for n, p in sorted(ASSIGNMENTS.items()) for g in _mistakes(p)])
def test_each_mistake_loses_exactly_its_tasks_points(course: Path, name: str, grade_id: str) -> None:
    """A submission right but for one plausible mistake scores every automatic point but that task's."""
    source = nbformat.read(ASSIGNMENTS[name], as_version=4)
    auto, lost = _points(source, manual=False), _task_points(source)[grade_id]
    assert lost > 0
    assert float(_grades(course)[(name, f"wrong_{grade_id}")]["score"]) == auto - lost


@pytest.mark.parametrize("name", sorted(ASSIGNMENTS))
def test_graded_notebooks_say_why_and_write_nothing_to_stderr(course: Path, name: str) -> None:
    path = ASSIGNMENTS[name]
    solved = nbformat.read(course / "autograded" / "solution" / name / path.name, as_version=4)
    stderr = [o.text for c in solved.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "stream" and o.name == "stderr"]
    assert not stderr, stderr
    untouched = nbformat.read(course / "autograded" / "untouched" / name / path.name, as_version=4)
    if not _points(nbformat.read(path, as_version=4), manual=False):
        return  # the mini-project: nothing to autograde, nothing to explain
    errors = [o for c in untouched.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")
              for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors and all(e.ename == "AssertionError" for e in errors)
    assert all("NOT IMPLEMENTED YET" in e.evalue for e in errors), [e.evalue for e in errors]


@pytest.mark.parametrize("name", sorted(ASSIGNMENTS))
def test_make_assignments_gives_nbgraders_student_notebooks(course: Path, name: str, tmp_path: Path) -> None:
    path = ASSIGNMENTS[name]
    ours = assignments.student_notebook(nbformat.read(path, as_version=4), path.name)
    theirs = nbformat.read(course / "release" / name / path.name, as_version=4)
    assert [c.source for c in ours.cells] == [c.source for c in theirs.cells]


def test_the_readme_states_the_assignments_points() -> None:
    """README, "For instructors": "14 points in all" autograded and "6 points" by hand: the notebooks' metadata."""
    import re

    notebooks = [nbformat.read(p, as_version=4) for p in sorted(SRC.glob("*.ipynb"))]
    auto = sum(_points(nb, manual=False) for nb in notebooks)
    manual = sum(_points(nb, manual=True) for nb in notebooks)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    said = re.search(r"(\d+) points in all\), and written answers graded by hand \((\d+) points",
                     readme.replace("\n", " "))
    assert said, "the README no longer says how many points the assignments have"
    assert (int(said.group(1)), int(said.group(2))) == (auto, manual)



@pytest.mark.parametrize("name", sorted(ASSIGNMENTS))
def test_students_get_their_feedback_pages(course: Path, name: str) -> None:
    """nbgrader generate_feedback: each student's HTML page shows the score and, where a check failed, why."""
    page = {student: (course / "feedback" / student / name / ASSIGNMENTS[name].with_suffix(".html").name)
            for student in ("solution", "untouched", "wrong")}
    for student, path in page.items():
        assert path.is_file(), f"no feedback for {student}: {path}"
    # "NOT IMPLEMENTED YET" from a check; "… is not implemented yet: skipped" in the mini-project
    assert "not implemented yet" in page["untouched"].read_text(encoding="utf-8").lower()
    assert "not implemented yet" not in page["solution"].read_text(encoding="utf-8").lower()


def test_the_course_pages_state_each_assignments_points_and_run_time() -> None:
    """COURSE.md (the students'): one row per notebook, its points (auto + hand) those of the notebook's metadata;
    README.md (the instructors'): its run time, measured in seconds, and the totals."""
    import re

    page = (SRC / "COURSE.md").read_text(encoding="utf-8")
    rows = {m.group(1): m for m in re.finditer(r"^\| \d \| `(\d\d_\w+\.ipynb)`:.*?\| (\d+) \+ (\d+) \|", page, re.M)}
    assert sorted(rows) == sorted(p.name for p in ASSIGNMENTS.values())
    for path in ASSIGNMENTS.values():
        nb = nbformat.read(path, as_version=4)
        stated = (int(rows[path.name].group(2)), int(rows[path.name].group(3)))
        assert stated == (_points(nb, manual=False), _points(nb, manual=True)), path.name
    instructor = (SRC / "README.md").read_text(encoding="utf-8")
    timed = re.findall(r"^\| \d \| `(\d\d_\w+\.ipynb)` \| (\d+) s\b", instructor, re.M)
    assert sorted(name for name, _ in timed) == sorted(rows)
    total = re.search(r"\((\d+) points checked automatically, (\d+) by hand\)", instructor.replace("\n", " "))
    assert total and (int(total.group(1)), int(total.group(2))) == (
        sum(int(m.group(2)) for m in rows.values()), sum(int(m.group(3)) for m in rows.values()))
