"""VGG-19: layer names, translation, truncation, weights and preprocessing."""
import os
import re

import pytest
import torch
import torchvision
from torch import nn

from nst_edu import vgg
from nst_edu.errors import LayerNameError, NstEduError


def test_layer_names_follow_torchvision_features_order():
    features = torchvision.models.vgg19(weights=None).features
    assert len(vgg.LAYER_NAMES) == len(features) == 37
    kinds = {"conv": nn.Conv2d, "relu": nn.ReLU, "pool": nn.MaxPool2d}
    for name, module in zip(vgg.LAYER_NAMES, features):
        assert isinstance(module, kinds[name[:4]]), name
    assert vgg.STYLE_LAYERS == ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")
    assert vgg.CONTENT_LAYERS == ("conv4_2",)


def test_tutorial_counting_is_translated_not_repeated():
    assert vgg.translate_layer("conv_4") == "conv2_2"
    assert vgg.translate_layer("conv2_2", to="tutorial") == "conv_4"
    assert vgg.translate_layer("conv2_2", to="torchvision") == 7
    assert vgg.translate_layer("block5_conv4") == "conv5_4"
    assert vgg.translate_layer("features.36") == "pool5"
    assert vgg.translate_layer(0, to="keras") == "block1_conv1"


@pytest.mark.parametrize("to", ["torchvision", "tutorial", "keras"])
def test_translation_round_trips(to):
    for name in vgg.LAYER_NAMES:
        if to == "keras" and name.startswith("relu"):
            continue  # Keras folds the ReLU into its conv
        assert vgg.translate_layer(vgg.translate_layer(name, to=to)) == name


def test_typo_gives_one_line_error_listing_valid_names():
    with pytest.raises(LayerNameError) as info:
        vgg.layer_index("conv4_5")
    message = str(info.value)
    assert "conv4_5" in message and "conv1_1" in message and "\n" not in message


def test_network_is_truncated_frozen_and_not_inplace():
    model = vgg.vgg19(weights=None, layers=["conv2_1"])
    assert len(model.layers) == vgg.layer_index("relu2_1") + 1
    assert all(not p.requires_grad for p in model.parameters())
    assert not model.training
    assert all(not m.inplace for m in model.modules() if isinstance(m, nn.ReLU))
    with pytest.raises(LayerNameError, match="beyond"):
        model(torch.rand(1, 3, 16, 16), ["conv3_1"])


def test_conv_names_are_read_after_their_relu_as_in_caffe():
    model = vgg.vgg19(weights=None, layers=["conv1_2"])
    out = model(torch.rand(1, 3, 12, 12), ["conv1_1", "relu1_1", "conv1_2"])
    assert torch.equal(out["conv1_1"], out["relu1_1"])
    assert out["conv1_2"].min() >= 0


@pytest.mark.parametrize("pooling, kind", [("avg", nn.AvgPool2d), ("max", nn.MaxPool2d)])
def test_pooling_choice(pooling, kind):
    model = vgg.vgg19(weights=None, pooling=pooling, layers=["pool1"])
    assert isinstance(model.layers.pool1, kind)
    with pytest.raises(NstEduError, match="pooling"):
        vgg.vgg19(weights=None, pooling="median")


def test_caffe_weights_and_preprocessing():
    model = vgg.vgg19(weights="caffe", layers=["conv1_1"], normalize=False)
    assert model.layers.conv1_1.weight.shape == (64, 3, 3, 3)
    image = torch.rand(1, 3, 8, 8)
    expected = image[:, [2, 1, 0]] * 255 - torch.tensor(vgg.CAFFE_MEAN_BGR).view(1, 3, 1, 1)
    assert torch.allclose(model.preprocess(image), expected, atol=1e-4)


def test_normalisation_divides_each_filter_by_its_mean():
    layers = ["conv1_1", "conv3_1", "conv5_1"]
    plain = vgg.vgg19(weights="caffe", layers=layers, normalize=False)
    normed = vgg.vgg19(weights="caffe", layers=layers)
    means = torch.load(vgg.NORMALIZATION_FILE, weights_only=True)
    image = torch.rand(1, 3, 32, 32)
    a, b = plain(image, layers), normed(image, layers)
    for name in layers:
        expected = a[name] / means[name].clamp_min(1e-6).view(1, -1, 1, 1)
        assert torch.allclose(b[name], expected, rtol=1e-3, atol=1e-3 * float(expected.abs().max()))


def test_torchvision_weights_from_a_fake_hub_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    fake = vgg.vgg19(weights=None)
    state = {f"features.{vgg.layer_index(n)}.{k}": getattr(getattr(fake.layers, n), k).clone()
             for n in vgg.CONV_LAYERS for k in ("weight", "bias")}
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    torch.save(state, tmp_path / "hub" / "checkpoints" / vgg.TORCHVISION_FILE)
    vgg.conv_weights.cache_clear()
    try:
        model = vgg.vgg19(weights="torchvision", layers=["conv5_4"])
        assert torch.equal(model.layers.conv3_2.weight, state["features.12.weight"])
        image = torch.rand(1, 3, 4, 4)
        mean = torch.tensor(vgg.IMAGENET_MEAN).view(1, 3, 1, 1)
        std = torch.tensor(vgg.IMAGENET_STD).view(1, 3, 1, 1)
        assert torch.allclose(model.preprocess(image), (image - mean) / std)
    finally:
        vgg.conv_weights.cache_clear()


def test_torchvision_weights_offline_error_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    vgg.conv_weights.cache_clear()
    with pytest.raises(NstEduError, match="weights='caffe'"):
        vgg.vgg19(weights="torchvision")
    vgg.conv_weights.cache_clear()


def test_normalize_needs_caffe_weights():
    with pytest.raises(NstEduError, match="normalize"):
        vgg.vgg19(weights=None, normalize=True)


# ------------------------------------------------- what mutation testing found unwatched (make mutate)
def test_the_typo_hint_names_real_ranges_and_a_table_that_exists():
    from nst_edu import layers

    with pytest.raises(LayerNameError) as info:
        vgg.layer_index("conv4_5")
    message = str(info.value)
    assert message.startswith("unknown VGG-19 layer 'conv4_5': valid names are ")
    table = re.search(r"\(see nst_edu\.layers\.(\w+)\)$", message).group(1)
    names = getattr(layers, table)
    for kind in ("conv", "relu", "pool"):  # "conv1_1 … conv5_4": the first and last of each kind
        of_kind = [n for n in names if n.startswith(kind)]
        assert f"{of_kind[0]} … {of_kind[-1]}" in message


def test_an_unknown_naming_convention_is_named_with_the_ones_there_are():
    with pytest.raises(NstEduError, match=r"^unknown naming convention 'caffe': use 'paper', 'torchvision', "
                                          r"'tutorial' or 'keras'$"):
        vgg.translate_layer("conv1_1", to="caffe")


def test_the_default_network_is_the_papers():
    """Caffe's VGG-19, average pooling, normalised: what VGG19Features() and vgg19() give unasked."""
    for model in (vgg.VGG19Features(layers=["pool1"]), vgg.vgg19(layers=["pool1"], device="cpu")):
        assert (model.weights, model.pooling, model.normalized) == ("caffe", "avg", True)
        assert isinstance(model.layers.pool1, nn.AvgPool2d)
    explicit = vgg.VGG19Features(weights="caffe", pooling="avg", normalize=True, layers=["pool1"])
    assert torch.equal(vgg.VGG19Features(layers=["pool1"]).layers.conv1_1.weight, explicit.layers.conv1_1.weight)
    assert vgg.VGG19Features(weights="caffe", normalize=False, layers=["conv1_1"]).normalized is False


def test_paper_name_reads_every_convention():
    """The explorer's layer pickers take any convention and show the paper's name."""
    for given in ("conv2_2", "conv_4", 7, "block2_conv2"):
        assert vgg.paper_name(given) == "conv2_2"
    assert vgg.paper_name("relu2_2") == "relu2_2" and vgg.paper_name("pool_3") == "pool3"
    with pytest.raises(LayerNameError, match="conv9_9"):
        vgg.paper_name("conv9_9")


def test_no_layers_named_keeps_the_whole_network():
    whole = vgg.VGG19Features(weights=None).available_layers
    assert whole == vgg.LAYER_NAMES
    assert vgg.VGG19Features(weights=None, layers=[]).available_layers == whole
    assert vgg.VGG19Features(weights=None, layers=["conv2_1"]).available_layers[-1] == "relu2_1"


@pytest.mark.parametrize("weights", [None, "caffe"])
def test_each_layer_has_the_papers_number_of_filters(weights):
    """N_l: 64, 128, 256, 512, 512 filters in blocks 1-5, with random weights as with Caffe's."""
    model = vgg.VGG19Features(weights=weights, normalize=False)
    responses = model(torch.rand(1, 3, 32, 32), list(vgg.CONV_LAYERS))
    for name, F in responses.items():
        assert F.shape[1] == (64, 128, 256, 512, 512)[int(name[4]) - 1], name


@pytest.mark.parametrize("pooling, pool", [("avg", torch.nn.functional.avg_pool2d),
                                           ("max", torch.nn.functional.max_pool2d)])
def test_each_pooling_summarises_two_by_two_blocks(pooling, pool):
    model = vgg.VGG19Features(weights=None, pooling=pooling, layers=["pool1"])
    image = torch.rand(1, 3, 12, 16)
    r = model(image, ["relu1_2", "pool1"])
    assert r["pool1"].shape[-2:] == (6, 8)
    assert torch.equal(r["pool1"], pool(r["relu1_2"], kernel_size=2, stride=2))


@pytest.mark.parametrize("weights", ["caffe", None])
def test_the_state_is_the_convolutions_only(weights):
    """The preprocessing constants are buffers that a saved state_dict leaves out."""
    model = vgg.VGG19Features(weights=weights, normalize=False, layers=["conv1_2"])
    assert sorted(model.state_dict()) == ["layers.conv1_1.bias", "layers.conv1_1.weight",
                                          "layers.conv1_2.bias", "layers.conv1_2.weight"]


def test_vgg19_goes_where_it_is_told_and_else_to_the_default_device(monkeypatch):
    from second_device import second_device

    with second_device() as elsewhere:  # it is the default device here, as a student's GPU would be
        assert vgg.vgg19(weights=None, layers=["conv1_1"]).device == elsewhere
        assert vgg.vgg19(weights=None, layers=["conv1_1"], device="cpu").device.type == "cpu"
        with monkeypatch.context() as env:  # undone before second_device() puts its variable back
            env.delenv("NST_EDU_DEVICE")  # no GPU: the default is the CPU
            assert vgg.vgg19(weights=None, layers=["conv1_1"]).device.type == "cpu"
            assert vgg.vgg19(weights=None, layers=["conv1_1"], device=elsewhere).device == elsewhere
    assert "NST_EDU_DEVICE" not in os.environ  # nothing leaks into the tests after this one


@pytest.mark.parametrize("shape", [(1, 4, 8, 8), (3, 3, 8), (1, 1, 3, 8, 8)])
def test_forward_refuses_what_is_not_an_image_batch_naming_its_shape(shape):
    model = vgg.vgg19(weights=None, layers=["conv1_1"])
    with pytest.raises(NstEduError, match=re.escape(f"expected an image batch of shape (B, 3, H, W), got {shape}: "
                                                    "load images with nst_edu.teaching.images.load_image") + "$"):
        model(torch.rand(shape), ["conv1_1"])


def test_forward_returns_every_layer_held_by_default_and_nothing_for_no_layers():
    model = vgg.vgg19(weights=None, layers=["conv2_1"])
    image = torch.rand(1, 3, 8, 8)
    every = model(image)
    assert tuple(every) == model.available_layers and every["conv2_1"].shape == (1, 128, 4, 4)
    assert model(image, []) == {}


def test_a_layer_beyond_the_network_is_refused_naming_its_last_layer():
    model = vgg.vgg19(weights=None, layers=["conv1_2"])  # ends at relu1_2; pool1 is the very next module
    assert model.available_layers[-1] == "relu1_2"
    for beyond in ("pool1", "conv2_2"):
        with pytest.raises(LayerNameError, match=re.escape(f"layer '{beyond}' lies beyond this network's last layer "
                                                           "relu1_2: create it with layers=[...] including it") + "$"):
            model(torch.rand(1, 3, 8, 8), [beyond])


def test_layer_index_takes_0_to_36_and_refuses_37_naming_the_range():
    assert vgg.layer_index(36) == 36 and vgg.layer_index("features.36") == 36
    for beyond in ("37", "features.37"):
        with pytest.raises(LayerNameError):
            vgg.layer_index(beyond)
    with pytest.raises(LayerNameError, match=re.escape("layer index 37 is out of range: use 0 … 36") + "$"):
        vgg.layer_index(37)
    with pytest.raises(LayerNameError):
        vgg.layer_index(True)  # a bool is not an index (True == 1)


@pytest.mark.slow
def test_the_weights_hand_over_is_torchvisions_layout_with_the_caffe_weights() -> None:
    """#44: nst_edu.caffe_vgg19() is a plain nn.Sequential that code written for torchvision's VGG-19 runs on, with
    the responses of nst-edu's network (max pooling, Caffe input convention), normalised or as trained."""
    import torchvision

    import nst_edu
    from nst_edu.vgg import CAFFE_MEAN_BGR, vgg19

    plain = nst_edu.caffe_vgg19()
    layout = torchvision.models.vgg19(weights=None).features
    assert [type(m) for m in plain] == [type(m) for m in layout] and len(plain) == 37
    assert not any(p.requires_grad for p in plain.parameters()) and not plain.training
    x = torch.rand(1, 3, 32, 48, generator=torch.Generator().manual_seed(0))
    caffe_input = x.flip(1) * 255 - torch.tensor(CAFFE_MEAN_BGR).view(1, 3, 1, 1)
    for normalized in (True, False):
        plain = nst_edu.caffe_vgg19(normalized=normalized)
        ours = vgg19(pooling="max", layers=["conv5_1"], device="cpu", normalize=normalized)
        F = plain[:30](caffe_input)  # index 29: conv5_1's ReLU, as translate_layer says
        G = ours(x, ["conv5_1"])["conv5_1"]
        assert torch.allclose(F, G, rtol=1e-4, atol=1e-3 * float(G.abs().max())), normalized
    assert not torch.allclose(nst_edu.caffe_vgg19(True)[0].weight, nst_edu.caffe_vgg19(False)[0].weight)
