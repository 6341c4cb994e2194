"""The score of `make mutate`, per file: how many of mutmut's planted faults the tests noticed.

Reads ``mutmut results --all true`` (one line per mutant, ``name: status``) in the repository root and
prints a Markdown table per file and the survivors, for the README's "Testing" section.

Two kinds of mutant cannot be noticed by any test under mutmut 3 and are counted apart, not hidden:

* in a function that runs while the module is imported (``layers._layer_names`` builds
  ``LAYER_NAMES``): mutmut 3 switches a mutant on after the test process has imported the package,
  so the mutant never runs (mutmut's README: code outside functions needs mutmut 2's model);
* the names of :data:`EQUIVALENT` below: changes that leave every result the same, each with why.
"""
from __future__ import annotations

import collections
import fnmatch
import re
import subprocess
import sys
import tomllib
from pathlib import Path

#: Functions called at import time (their results are module constants).
AT_IMPORT = {"nst_edu.layers.x__layer_names", "nst_edu.layers.x__aliases"}
#: Mutants that change nothing a caller can observe, and why (filled in from `mutmut show`).
EQUIVALENT: dict[str, str] = {
    "nst_edu.losses.x___getattr____mutmut_8": "stacklevel=3: under mutmut its trampoline is one more frame, so 3 "
                                              "names the test's line as 2 does without it (tests/test_losses.py)",
    "nst_edu.minimize.xǁ_Stopǁ__init____mutmut_1": "_Stop's message: minimize reads its .reason, never str()",
    "nst_edu.minimize.x_heap_kept__mutmut_8": "x.shape[+2]: of a (B, 3, H, W) image the same H as shape[-2]",
    "nst_edu.minimize.x_initial_image__mutmut_23": "0.5 - a·(2u - 1): noise mirrored about grey, the same distribution",
    "nst_edu.minimize.x_minimize__mutmut_58": "channels_last also when not asked: the same math in another memory "
                                              "layout (Runtime.channels_last), only the speed differs",
    "nst_edu.minimize.x_minimize__mutmut_95": "the loss unit in float32, not the loss's dtype: a power of two is exact "
                                              "in float32 and the division promotes to the loss's dtype",
    "nst_edu.minimize.x_minimize__mutmut_98": "the same (torch.tensor's default dtype is float32)",
    "nst_edu.minimize.x_minimize__mutmut_121": "value <= best: a later image with exactly the best loss is kept; "
                                               "both have the best loss",
    "nst_edu.minimize.x_minimize__mutmut_133": "set_postfix(refresh=None): when tqdm redraws, not what it shows",
    "nst_edu.minimize.x_minimize__mutmut_135": "set_postfix(refresh=True by default): the same",
    "nst_edu.minimize.x_minimize__mutmut_136": "set_postfix(refresh=True): the same",
    "nst_edu.minimize.x_minimize__mutmut_200": "max_eval=None (1.25·steps): the closure ends the run at `steps` "
                                               "evaluations, so max_eval only has to be at least steps",
    "nst_edu.minimize.x_minimize__mutmut_209": "max_eval left out: the same as None",
    "nst_edu.minimize.x_minimize__mutmut_216": "max_eval=steps + 26: the same, never reached",
    "nst_edu.minimize.x_minimize__mutmut_220": "tolerance_grad=-2: any negative tolerance is off (|g| >= 0)",
    "nst_edu.minimize.x_minimize__mutmut_222": "tolerance_change=-2: the same",
    "nst_edu.minimize.x_minimize__mutmut_230": "Adam's loop `<= steps`: one more closure call, which raises "
                                               "'finished' before it evaluates; differs only when Stop is pressed "
                                               "after the last step (then 'stopped', as L-BFGS reports there)",
    "nst_edu.minimize.x_minimize__mutmut_249": "warn() without stacklevel: mutmut's trampolines add frames between "
                                               "the caller and minimize, so the caller's line is checked only "
                                               "without mutmut (test_optimize::test_a_divergence_returns_the_best_"
                                               "image, shown failing at stacklevel 1, 2 and 4)",
    "nst_edu.minimize.x_minimize__mutmut_250": "stacklevel=4: the same (a frame of the trampoline)",
    "nst_edu.losses.xǁ_Gramǁbackward__mutmut_12": "Fm.stride(None) is a tuple, never 1: always S @ F, "
                                                  "the same values in the other memory layout (only "
                                                  "speed differs: benchmarks/step_time.py)",
    "nst_edu.losses.xǁ_Gramǁbackward__mutmut_13": "stride(+2): the same, values unchanged, layout differs",
    "nst_edu.losses.xǁ_Gramǁbackward__mutmut_14": "stride(-3): the same",
    "nst_edu.losses.xǁ_Gramǁbackward__mutmut_15": "the two layouts swapped: the same values",
    "nst_edu.losses.xǁ_Gramǁbackward__mutmut_16": "stride == 2: the same",
    "nst_edu.synthesis.x__to__mutmut_3": "the painting left where it is: the network moves the images "
                                         "it is given to its own device (VGG19Features.forward; "
                                         "tests/test_devices.py)",
    "nst_edu.synthesis.x__to__mutmut_4": "a guidance's paintings and masks left where they are: the "
                                         "same: the network moves the paintings; masks move when used (guidance.py)",
    "nst_edu.synthesis.x__to__mutmut_7": "a guidance without the memory layout: only speed differs",
    "nst_edu.synthesis.x__to__mutmut_9": "a list of paintings left where they are: the network moves them (as 3)",
    "nst_edu.objective.xǁObjectiveǁ__call____mutmut_52": "sum() of the weighted content from 0, not a zero "
                                                      "tensor: the total is a tensor of the same value either way",
    "nst_edu.objective.x_make_objective__mutmut_7": "the content layers kept without a photo: "
                                     "compute_targets computes no P then, so no content term either way",
    "nst_edu.objective.x_make_objective__mutmut_20": "content_image.shape[+2:] of a (1, 3, H, W) photo: "
                                      "(H, W), as [-2:]",
    "nst_edu.objective.x_make_objective__mutmut_39": "style_layers=None for the guided branch's "
                                      "targets: no painting is given there, so no A either way",
    "nst_edu.objective.x_make_objective__mutmut_67": "F.shape[+2] of (1, N, H, W) responses: H, as shape[-2]",
    "nst_edu.objective.x_make_objective__mutmut_73": "layer_weights of no layers: {}, as the branch it replaces",
    "nst_edu.vgg.xǁVGG19Featuresǁforward__mutmut_39": "max(wanted, default=+1) for no layers: two "
                                                  "modules run for nothing, still {} returned",
    "nst_edu.vgg.xǁVGG19Featuresǁforward__mutmut_40": "default=-2: the same as -1 (no module runs)",
    "nst_edu.synthesis.x_synthesize__mutmut_126": "vgg19(layers=None): the whole network, the same responses at the "
                                                  "layers asked (slower)",
    "nst_edu.synthesis.x_synthesize__mutmut_128": "vgg19() without weights=: its default is the Caffe weights, "
                                                  "Runtime's default too",
    "nst_edu.synthesis.x_synthesize__mutmut_130": "vgg19() without layers=: the whole network, as 126",
    "nst_edu.synthesis.x_synthesize__mutmut_134": "our own network not made channels_last: the same values in the "
                                                  "other layout (speed only)",
    "nst_edu.synthesis.x_synthesize__mutmut_137": "the images always channels_last: the same values in another "
                                                  "layout (speed only)",
    "nst_edu.synthesis.x_synthesize__mutmut_142": "the photo left where it is: the network moves the images it is "
                                                  "given (as _to 3)",
    "nst_edu.synthesis.x_synthesize__mutmut_146": "the paintings left where they are: the network moves them "
                                                  "(as _to 3)",
    "nst_edu.synthesis.x_synthesize__mutmut_208": "shape[+2:] of (B, 3, H, W): (H, W), as shape[-2:]",
    "nst_edu.teaching.images.x_save_image__mutmut_10": "the temporary file without the suffix: Pillow is told the "
                                                       "format",
    "nst_edu.teaching.images.x_save_image__mutmut_12": "the same as 10",
    "nst_edu.teaching.images.x_save_image__mutmut_14": "format=None: Pillow reads it from the temporary file's suffix",
    "nst_edu.teaching.images.x_save_image__mutmut_16": "the same as 14",
    "nst_edu.teaching.images.x_to_pil__mutmut_35": "fromarray(mode=None): an (H, W, 3) uint8 array is RGB either way",
    "nst_edu.teaching.images.x_to_pil__mutmut_37": "the same as 35",
    "nst_edu.layers.x_paper_name__mutmut_5": "translate_layer(name): its default convention is 'paper'",
    "nst_edu.vgg.xǁVGG19Featuresǁ__init____mutmut_35": "default=len(LAYER_NAMES) + 1: a slice past the end is the "
                                                       "whole network, as len - 1 + 1",
    "nst_edu.vgg.xǁVGG19Featuresǁ__init____mutmut_83": "ReLU(inplace=None): None is falsy, as False",
    "nst_edu.vgg.xǁVGG19Featuresǁ__init____mutmut_89": "AvgPool2d(2, None): the stride defaults to the kernel, 2",
    "nst_edu.vgg.xǁVGG19Featuresǁ__init____mutmut_90": "AvgPool2d(2): the same",
    "nst_edu.vgg.xǁVGG19Featuresǁ__init____mutmut_91": "AvgPool2d(2, ): the same",
    "nst_edu.vgg.xǁVGG19Featuresǁ__init____mutmut_98": "MaxPool2d(2, None): the stride defaults to the kernel, 2",
    "nst_edu.vgg.xǁVGG19Featuresǁ__init____mutmut_99": "MaxPool2d(2): the stride defaults to the kernel, 2",
    "nst_edu.vgg.xǁVGG19Featuresǁ__init____mutmut_100": "MaxPool2d(2, ): the same",
    "nst_edu.vgg.xǁVGG19Featuresǁ__init____mutmut_114": "register_buffer(persistent=None): None is falsy, as False",
    "nst_edu.vgg.xǁVGG19Featuresǁ__init____mutmut_124": "CAFFE_MEAN_BGR.view(3, 1, 1): broadcasts over (B, 3, H, W) "
                                                        "as (1, 3, 1, 1) does",
    "nst_edu.vgg.xǁVGG19Featuresǁ__init____mutmut_136": "register_buffer(persistent=None): None is falsy, as False",
    "nst_edu.vgg.xǁVGG19Featuresǁ__init____mutmut_146": "IMAGENET_MEAN.view(3, 1, 1): broadcasts as (1, 3, 1, 1)",
    "nst_edu.vgg.xǁVGG19Featuresǁ__init____mutmut_158": "register_buffer(persistent=None): None is falsy, as False",
    "nst_edu.vgg.xǁVGG19Featuresǁ__init____mutmut_168": "IMAGENET_STD.view(3, 1, 1): broadcasts as (1, 3, 1, 1)",
}
EQUIVALENT.update({f"nst_edu.synthesis.x_synthesize__mutmut_{n}": "an entry of the cache key renamed "
                   "(content_image … model, 65–76): a label; the same values are hashed" for n in range(65, 77)})
_SIDES = ("shape[+2:]: of the (N, 3, H, W) images that checks.check_image_shapes lets through, the same (H, W) "
          "as shape[-2:]")
EQUIVALENT.update({
    "nst_edu.machinery.checks.x_check_before_work__mutmut_36": _SIDES + " (the content image, checked just before)",
    "nst_edu.machinery.checks.x_check_before_work__mutmut_45": _SIDES + " (the style images, checked just before)",
    "nst_edu.machinery.checks.x_output_size__mutmut_3": _SIDES + " (synthesize calls check_before_work, which "
                                                        "checks the shapes, right after output_size)",
    "nst_edu.machinery.checks.x_output_size__mutmut_11": "the same as 3, for a style image",
    "nst_edu.machinery.checks.x_output_size__mutmut_17": "the same as 3, for the first of several style images",
    "nst_edu.__main__.x__transfer__mutmut_66": "shape[+2:]: load_image returns (1, 3, H, W), so the same (H, W)",
    "nst_edu.__main__.x__transfer__mutmut_70": "the same, for match_pixel_count's (1, 3, H, W)",
    "nst_edu.__main__.x__transfer__mutmut_108": "one --style passed as a list of one: the same synthesis, image and "
                                               "history bit for bit (tests/test_cli.py::test_one_artwork_in_a_list_"
                                               "is_the_same_synthesis)",
    "nst_edu.__main__.x__parser__mutmut_68": "default=None left out: argparse's default is None",
    "nst_edu.__main__.x__parser__mutmut_207": "the same, for transfer --settle",
    "nst_edu.__main__.x__parser__mutmut_284": "the same, for figures --size",
    "nst_edu.__main__.x__parser__mutmut_299": "the same, for figures --steps",
})
KILLED = {"killed", "timeout", "suspicious"}
#: The rest of the issue's scope, as mutmut's names: the checks, the CLI, and of images.py only its saving
#: (to_pil, check_output_path, save_image); images' loading is mutated by mutmut but not run or counted.
REST_GLOBS = ["nst_edu.machinery.checks.*", "nst_edu.__main__.*", "nst_edu.teaching.images.x_to_pil__*",
              "nst_edu.teaching.images.x_check_output_path__*", "nst_edu.teaching.images.x_save_image__*"]


def paper_modules() -> list[str]:
    """The paper's six files, from the README's "Reading the code" table (one list, not three copies),
    each checked to be in mutmut's ``only_mutate``: the issue's goal is >= 90 % in these together."""
    section = Path("README.md").read_text(encoding="utf-8").split("## Reading the code", 1)[1]
    section = section.split("Beside them", 1)[0]
    files = re.findall(r"^\| \d \| `(nst_edu/\w+\.py)` \|", section, flags=re.M)
    only_mutate = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]["only_mutate"]
    if len(files) != 6 or not set(files) <= set(only_mutate):
        sys.exit(f"README's reading order {files} is not six files in [tool.mutmut] only_mutate: update one of them")
    return [f.removesuffix(".py").replace("/", ".") for f in files]


def main() -> int:
    if sys.argv[1:] == ["--paper-globs"]:  # for the Makefile: mutmut's names of the six files' mutants
        print(" ".join(f"'{m}.*'" for m in paper_modules()))
        return 0
    if sys.argv[1:] == ["--rest-globs"]:  # for the Makefile: the rest of the scope
        print(" ".join(f"'{g}'" for g in REST_GLOBS))
        return 0
    paper_set = set(paper_modules())
    out = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], capture_output=True,
                         text=True, check=True).stdout
    rows: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    survivors: list[str] = []
    outside = 0
    stale: list[str] = []
    scope = [f"{m}.*" for m in paper_set] + REST_GLOBS
    for line in out.splitlines():
        m = re.fullmatch(r"\s*(\S+): (.+)", line)
        if not m:
            continue
        name, status = m.group(1), m.group(2).strip()
        function = name.split("__mutmut_")[0]
        module = re.split(r"\.x_|\.xǁ", function)[0]
        if not any(fnmatch.fnmatchcase(name, g) for g in scope):
            outside += 1
        elif status == "not checked":  # a run stopped before it got there
            rows[module]["not checked"] += 1
        elif function in AT_IMPORT:
            rows[module]["at import"] += 1
        elif name in EQUIVALENT:
            rows[module]["equivalent"] += 1
            if status in KILLED:  # a test notices it: not equivalent, or its number moved with an edit
                stale.append(name)
        elif status in KILLED:
            rows[module]["killed"] += 1
        else:
            rows[module][status] += 1
            survivors.append(f"{name}: {status}")
    print("| file | mutants | not checked | killed | not noticed | at import | equivalent | score |")
    print("|---|---|---|---|---|---|---|---|")
    total, paper = collections.Counter(), collections.Counter()
    for module in sorted(rows):
        c = rows[module]
        total.update(c)
        if module in paper_set:
            paper.update(c)
        print(_row(module.replace(".", "/") + ".py", c))
    print(_row("the paper's six files", paper))
    print(_row("all", total))
    if stale:
        print("\nnamed equivalent, yet noticed by a test (renumbered by an edit? compare `mutmut show` with the "
              "reason in EQUIVALENT):\n  " + "\n  ".join(stale))
    print(f"\n{outside} mutants outside the scope (images' loading) are neither run nor counted.")
    print("\nnot noticed:" if survivors else "\nevery mutant was noticed")
    for s in survivors:
        if not s.endswith("not checked"):
            print("  " + s)
    return 0


def _row(what: str, c: collections.Counter) -> str:
    """Score: killed among the mutants checked, less those no test can notice (at import, equivalent)."""
    counted = sum(c.values()) - c["not checked"] - c["at import"] - c["equivalent"]
    missed = counted - c["killed"]
    score = f"{100 * c['killed'] / counted:.1f} %" if counted else "-"
    return (f"| {what} | {sum(c.values())} | {c['not checked']} | {c['killed']} | {missed} | {c['at import']} | "
            f"{c['equivalent']} | {score} |")


if __name__ == "__main__":
    sys.exit(main())
