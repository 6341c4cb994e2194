"""The wheel alone is complete: built, installed (not editable) into a fresh virtual environment, and
used from a folder outside the checkout — the CLI, the catalogue and notebooks 00 and 01.

The heavy dependencies (torch, jupyter …) are borrowed from the project's environment through a
``.pth`` file, so the test takes seconds, not a 6 GB install. A ``.pth`` line adds a folder to
``sys.path`` *after* the fresh environment's own site-packages and does not run the ``.pth`` files
inside it, so the project's editable install is invisible: only the wheel can provide ``nst_edu``.
"""
from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
MIRROR = Path(os.environ.get("NST_EDU_MIRROR", ROOT.parent / "shared" / "images"))

pytestmark = pytest.mark.skipif(not (MIRROR / "tubingen.jpg").exists(), reason="needs the image mirror")


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A wheel of this checkout installed into a fresh venv; returns its python, env and work folder."""
    tmp = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NST_EDU_", "PYTHON", "VIRTUAL_ENV"))}
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp / "dist"),
          str(ROOT)], cwd=tmp, env=env)
    wheel = next((tmp / "dist").glob("nst_edu-*.whl"))
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp, env=env)
    python = venv / "bin" / "python"
    purelib = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                        cwd=tmp, env=env).stdout.strip())
    (purelib / "_borrowed_from_project.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index",
          str(wheel)], cwd=tmp, env=env)
    work = tmp / "elsewhere"  # outside the checkout: nothing of it on sys.path
    work.mkdir()
    env.update(NST_EDU_MIRROR=str(MIRROR), XDG_CACHE_HOME=str(tmp / "xdg"), HOME=str(tmp / "home"),
               JUPYTER_DATA_DIR=str(tmp / "jupyter"), NST_EDU_QUICK="1")
    return {"python": python, "env": env, "work": work, "tmp": tmp, "wheel": wheel, "purelib": purelib}


def test_the_wheel_holds_the_package_data(installed: dict) -> None:
    names = zipfile.ZipFile(installed["wheel"]).namelist()
    for data in ("nst_edu/data/catalog.json", "nst_edu/data/vgg19_caffe_filter_means.pt",
                 "nst_edu/data/ratio_balance.json", "nst_edu/data/masks/tubingen_sky_town.png", "nst_edu/py.typed"):
        assert data in names, f"{data} missing from the wheel"
    assert not any(n.startswith(("data/", "tests/", "notebooks/")) for n in names)
    # The licence travels with the wheel, and its metadata names it as SPDX (PEP 639)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), "LICENSE missing from the wheel"
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    assert "License-Expression: MIT" in zipfile.ZipFile(installed["wheel"]).read(metadata).decode()


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def third_party_imports(wheel: Path) -> dict[str, set[str]]:
    """{top-level module: files importing it} over every module in the wheel, imports inside
    functions included (an import that runs only on some path still needs its distribution)."""
    found: dict[str, set[str]] = {}
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            if not name.endswith(".py"):
                continue
            for node in ast.walk(ast.parse(z.read(name))):
                if isinstance(node, ast.Import):
                    modules = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top not in sys.stdlib_module_names and top != "nst_edu":
                        found.setdefault(top, set()).add(name)
    return found


def test_the_wheel_declares_every_distribution_it_imports(installed: dict) -> None:
    """``pip install nst-edu`` must bring what the package imports: every third-party import is an
    unconditional Requires-Dist of the wheel (the wheel test installs with --no-deps, so a missing
    declaration would pass everything else)."""
    with zipfile.ZipFile(installed["wheel"]) as z:
        metadata = z.read(next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    required = {_normalised(re.split(r"[<>=!~;\[ ]", line.split(":", 1)[1].strip())[0])
                for line in metadata.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line}
    providers = importlib.metadata.packages_distributions()  # import name -> distributions, from this env
    imports = third_party_imports(installed["wheel"])
    assert {"torch", "PIL", "ipywidgets"} <= set(imports)  # the walk sees the package's imports at all
    missing = {module: sorted(files) for module, files in imports.items()
               if not {_normalised(d) for d in providers.get(module, [module])} & required}
    assert not missing, f"imported but not in Requires-Dist: {missing}: add them to [project] dependencies"


def test_the_installed_package_is_the_wheel_and_finds_its_data(installed: dict) -> None:
    code = ("import nst_edu, nst_edu.teaching.catalog as c, nst_edu.machinery.paths as p, "
            "nst_edu.machinery.vgg_weights as w, json; "
            "print(json.dumps([nst_edu.__file__, c.names(), str(c.data_dir()), str(p.checkout_root()), "
            "w.NORMALIZATION_FILE.is_file()]))")
    out = _run([str(installed["python"]), "-c", code], cwd=installed["work"], env=installed["env"]).stdout
    module, names, cache, root, stats = json.loads(out)
    assert Path(module).is_relative_to(installed["purelib"]), module
    assert len(names) == 8 and "tubingen" in names
    assert cache == str(installed["tmp"] / "xdg" / "nst-edu" / "images") and root == "None" and stats


def test_the_cli_works_from_the_wheel(installed: dict) -> None:
    py, env, work = str(installed["python"]), installed["env"], installed["work"]
    listing = _run([py, "-m", "nst_edu", "catalog"], cwd=work, env=env).stdout
    assert "starry_night" in listing and "seated_nude" in listing
    _run([py, "-m", "nst_edu", "transfer", "--content", "tubingen", "--style", "starry_night", "--size", "32",
          "--steps", "3", "-o", "out.png"], cwd=work, env=env)
    from PIL import Image

    with Image.open(work / "out.png") as im:
        assert max(im.size) == 32
    cached = sorted(p.name for p in (installed["tmp"] / "xdg" / "nst-edu" / "images").iterdir())
    assert "tubingen.jpg" in cached and "starry_night.jpg" in cached


@pytest.mark.parametrize("notebook", ["00_feature_spaces.ipynb", "01_content_reconstruction.ipynb"])
def test_notebooks_run_from_the_wheel_outside_the_checkout(installed: dict, notebook: str) -> None:
    nb = nbformat.read(ROOT / "notebooks" / notebook, as_version=4)
    # one extra cell at the end says which nst_edu and which python the kernel used
    nb.cells.append(nbformat.v4.new_code_cell("import sys, nst_edu; print(nst_edu.__file__); print(sys.executable)"))
    src = installed["work"] / notebook
    nbformat.write(nb, src)
    _run([str(installed["python"]), "-m", "nbconvert", "--to", "notebook", "--execute", "--inplace",
          "--ExecutePreprocessor.timeout=600", str(src)], cwd=installed["work"], env=installed["env"])
    done = nbformat.read(src, as_version=4)
    errors = [o for c in done.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors[0]
    assert any("image/png" in o.get("data", {}) for c in done.cells if c.cell_type == "code" for o in c.outputs)
    module, python = done.cells[-1].outputs[0]["text"].split()
    assert Path(module).is_relative_to(installed["purelib"]) and python == str(installed["python"])
