"""Compute the per-filter mean activations behind the paper's VGG-19 normalisation.

Gatys et al.: "We normalized the network by scaling the weights such that the mean activation of
each convolutional filter over images and positions is equal to one." They averaged over ImageNet;
we cannot download it here, so we average over the catalogue's images (all of them, at 256 px),
which gives the same order of magnitude per filter. The result is committed as
nst_edu/data/vgg19_caffe_filter_means.pt; rerun this script to regenerate it (needs the images, e.g.
NST_EDU_MIRROR=../shared/images).

``--pooling`` chooses the network the means are taken in: ``avg`` (the committed file) or ``max``,
VGG-19 as trained, which the paper may have normalised before it replaced max by average pooling.
``benchmarks/ratio_calibration.py --stats FILE`` compares the two: max pooling does not bring the
paper's look to the paper's ratios (benchmarks/README.md), so the committed file stays ``avg``.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import torch

from nst_edu.machinery.vgg_weights import NORMALIZATION_FILE
from nst_edu.teaching import catalog
from nst_edu.teaching.images import load_image
from nst_edu.vgg import CONV_LAYERS, VGG19Features

OUT = NORMALIZATION_FILE  # the package's committed statistics


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="per-filter mean responses of VGG-19 (Caffe weights)")
    parser.add_argument("--pooling", choices=("avg", "max"), default="avg",
                        help="avg: the committed statistics; max: for benchmarks/ratio_calibration.py --stats")
    parser.add_argument("--images", type=Path, default=None,
                        help="a folder of photographs to average over instead of the catalogue (e.g. the "
                             "scikit-image wheel's skimage/data photos, for benchmarks/ratio_calibration.py)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    model = VGG19Features(weights="caffe", pooling=args.pooling, normalize=False)
    sums = {name: torch.zeros(0) for name in CONV_LAYERS}
    names = (sorted(str(p) for p in args.images.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
             if args.images else catalog.names())
    with torch.no_grad():
        for name in names:
            feats = model(load_image(name, size=256), list(CONV_LAYERS))
            for layer, F in feats.items():
                m = F.mean(dim=(0, 2, 3))
                sums[layer] = m if sums[layer].numel() == 0 else sums[layer] + m
    means = {layer: (s / len(names)).contiguous() for layer, s in sums.items()}
    tmp = args.out.with_suffix(".tmp")
    torch.save(means, tmp)
    os.replace(tmp, args.out)
    print(f"wrote {args.out} from {len(names)} images, {args.pooling} pooling")
    if args.images:
        print("images:", ", ".join(Path(n).name for n in names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
