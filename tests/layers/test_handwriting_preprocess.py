from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rotkeras.datasets import letterbox, make_synthetic_photos, read_image
from rotkeras.layers import HandwritingPreprocess
from tests.helpers import (
    assert_config_round_trip,
    in_functional_model,
    map_with_tf_data,
    property_settings,
    run_layer_test,
    save_and_load,
    to_numpy,
)

cv2 = pytest.importorskip("cv2")

IDX = np.arange(28)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "photos"


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    mass = image.sum()
    return (image.sum(1) * IDX).sum() / mass, (image.sum(0) * IDX).sum() / mass


def digit_glyph(height: int = 60, thickness: int = 7) -> np.ndarray:
    """A dark-on-white '4'-like glyph (uint8, 0 = ink) drawn with straight strokes."""
    w = int(height * 0.7)
    glyph = np.full((height, w), 255, np.uint8)
    cv2.line(glyph, (w - 12, 3), (4, int(height * 0.65)), 0, thickness)
    cv2.line(glyph, (4, int(height * 0.65)), (w - 3, int(height * 0.65)), 0, thickness)
    cv2.line(glyph, (w - 14, 3), (w - 14, height - 3), 0, thickness)
    return glyph


def photo_with_glyph(rng, h=300, w=400, top=30, left=250, dark_on_light=True, noise=6.0):
    """A noisy canvas with a lighting gradient and the glyph pasted off-centre."""
    yy, xx = np.mgrid[0:h, 0:w]
    paper = 200 - 50 * xx / w + rng.normal(0, noise, (h, w))
    glyph = digit_glyph()
    gh, gw = glyph.shape
    region = paper[top : top + gh, left : left + gw]
    ink = glyph < 128
    region[ink] = 40 + rng.normal(0, noise, ink.sum())
    for _ in range(5):  # specks
        y, x = rng.integers(0, h - 2), rng.integers(0, w - 2)
        paper[y : y + 2, x : x + 2] = 60
    image = np.clip(paper, 0, 255).astype(np.uint8)
    if not dark_on_light:
        image = 255 - image
    return np.repeat(image[..., None], 3, axis=2)


@pytest.mark.parametrize(
    ("shape", "dtype"),
    [
        ((2, 32, 32, 1), "uint8"),
        ((3, 100, 80, 3), "uint8"),
        ((2, 64, 200, 3), "float32"),
        ((1, 300, 300, 4), "uint8"),
        ((2, 28, 28, 1), "float32"),
    ],
)
def test_shape_range_dtype(shape, dtype, rng) -> None:
    x = rng.integers(0, 256, shape).astype(dtype)
    if dtype == "float32":
        x = x / 255.0
    x[:, shape[1] // 4 : shape[1] // 2, shape[2] // 3 : shape[2] // 3 + 3] = 0
    for mode in ("mnist", "tutorial"):
        out = to_numpy(HandwritingPreprocess(mode=mode)(x.astype(dtype)))
        assert out.shape == (shape[0], 28, 28, 1)
        assert out.dtype == np.float32
        assert np.isfinite(out).all()
        assert out.min() >= 0.0 and out.max() <= 1.0


def test_unbatched_channels_first_and_sizes(rng) -> None:
    photo = photo_with_glyph(rng)
    single = to_numpy(HandwritingPreprocess()(photo))
    assert single.shape == (28, 28, 1)
    first = HandwritingPreprocess(data_format="channels_first")
    cf = to_numpy(first(photo.transpose(2, 0, 1)[None]))
    assert cf.shape == (1, 1, 28, 28)
    np.testing.assert_allclose(cf[0, 0], single[..., 0], atol=1e-5)
    other = to_numpy(HandwritingPreprocess(output_size=32, box_size=24)(photo[None]))
    assert other.shape == (1, 32, 32, 1)


def glyph_digits() -> tuple[np.ndarray, np.ndarray]:
    """Ten 28x28 MNIST-style digits (white on black) drawn with a Hershey font."""
    digits = np.zeros((10, 28, 28), np.uint8)
    for label in range(10):
        cv2.putText(digits[label], str(label), (7, 23), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2,
                    cv2.LINE_AA)
    return digits, np.arange(10)


def quarter_turn_batches() -> list[np.ndarray]:
    """Synthetic photos of every kind (square and not) and the repository's photo fixtures."""
    digits, labels = glyph_digits()
    batches = [
        make_synthetic_photos(2, digits, labels, size=160, seed=5 + i, mix={kind: 1.0})[0]
        for i, kind in enumerate(("paper", "ruled", "squared", "tight", "screen"))
    ]
    batches.append(make_synthetic_photos(2, digits, labels, size=(150, 200), seed=11)[0])
    batches.extend(read_image(path)[None] for path in sorted(FIXTURES.iterdir()))
    return batches


@pytest.mark.parametrize("k", [1, 2, 3])
def test_quarter_turns_of_the_photo_give_quarter_turns_of_the_output(k) -> None:
    # A photo taken with the camera turned by a right angle must reach the network exactly
    # as the upright photo's input turned by that angle (np.rot90 turns a 28x28 image about
    # (13.5, 13.5)); placing the digit anywhere else puts turned photos a pixel away from
    # turned training digits.
    layer = HandwritingPreprocess()
    for photos in quarter_turn_batches():
        upright = to_numpy(layer(photos))[..., 0]
        turned = to_numpy(layer(np.ascontiguousarray(np.rot90(photos, k, axes=(1, 2)))))[..., 0]
        np.testing.assert_allclose(turned, np.rot90(upright, k, axes=(1, 2)), atol=0.02)
        for got, want in zip(turned, np.rot90(upright, k, axes=(1, 2)), strict=True):
            if want.sum() > 0:
                np.testing.assert_allclose(centre_of_mass(got), centre_of_mass(want), atol=0.02)


@pytest.mark.parametrize("dark_on_light", [True, False])
def test_off_centre_digit_in_noisy_canvas_comes_out_centred(dark_on_light, rng) -> None:
    photo = photo_with_glyph(rng, dark_on_light=dark_on_light)
    out = to_numpy(HandwritingPreprocess()(photo[None]))[0, ..., 0]
    cy, cx = centre_of_mass(out)
    # Centre of mass at the frame's rotation centre (13.5, 13.5), half a pixel from
    # MNIST's (14, 14): the only point that a quarter turn of the frame leaves in place.
    assert abs(cy - 13.5) < 0.25 and abs(cx - 13.5) < 0.25
    # Longer side of the digit's box scaled to ~20 px; the digit is bright, background black.
    rows = np.nonzero(out.max(1) > 0.3)[0]
    assert 17 <= rows.max() - rows.min() + 1 <= 23
    assert out.max() == pytest.approx(1.0)
    assert np.median(out) == 0.0
    corners = np.concatenate([out[:3, :3].ravel(), out[-3:, -3:].ravel()])
    assert corners.max() < 0.05


def test_polarity_both_ways_gives_the_same_digit(rng) -> None:
    dark = photo_with_glyph(rng, dark_on_light=True, noise=0.0)
    light = 255 - dark
    out = to_numpy(HandwritingPreprocess()(np.stack([dark, light])))[..., 0]
    np.testing.assert_allclose(out[0], out[1], atol=0.05)
    assert out[0].sum() > 20  # a digit, not an empty frame
    forced = to_numpy(HandwritingPreprocess(polarity="dark_on_light")(np.stack([dark, light])))
    np.testing.assert_allclose(forced[0, ..., 0], out[0], atol=1e-5)
    assert np.abs(forced[1, ..., 0] - out[1]).max() > 0.5  # forcing the wrong way differs


def thick_marker_zero(size: int = 128) -> np.ndarray:
    """A tight crop of a thick, blurred marker '0' touching the border of white paper."""
    image = np.full((size, size), 250, np.uint8)
    axes = (int(size * 0.36), int(size * 0.42))
    cv2.ellipse(image, (size // 2, size // 2), axes, 0, 0, 360, 15, int(size * 0.2))
    image = cv2.GaussianBlur(image, (0, 0), size / 60)
    return np.repeat(image[..., None], 3, axis=2)


def test_thick_marker_filling_a_tight_crop_is_read_as_dark_ink() -> None:
    # The ink covers about half the crop and the paper between the strokes is as
    # "local" as the ink; the clean, uniform border says which side is paper.
    photo = thick_marker_zero()[None]
    auto = to_numpy(HandwritingPreprocess()(photo))
    dark = to_numpy(HandwritingPreprocess(polarity="dark_on_light")(photo))
    light = to_numpy(HandwritingPreprocess(polarity="light_on_dark")(photo))
    np.testing.assert_allclose(auto, dark, atol=1e-5)
    assert np.abs(auto - light).max() > 0.5


def shadowed_tall_photo() -> np.ndarray:
    """A thin, faint '0' on paper whose lower part lies in a hard shadow, letterboxed."""
    rng = np.random.default_rng(0)
    height, width = 300, 200
    rows = np.arange(height)[:, None]
    paper = 190 - 20 * rows / height + rng.normal(0, 2, (height, width))
    paper = paper - 75 / (1 + np.exp(-(rows - 170) / 4.0))
    cv2.ellipse(paper, (100, 80), (18, 28), 0, 0, 360, 120, 2, cv2.LINE_AA)
    image = np.clip(paper, 0, 255).astype(np.uint8)
    return letterbox(np.repeat(image[..., None], 3, axis=2), 256)


def test_hard_shadow_edge_does_not_flip_the_polarity() -> None:
    # The shadow's edge departs from its neighbourhood as much as the faint ink, in both
    # directions; the ink is still the extreme farthest from the typical pixel.
    photo = shadowed_tall_photo()[None]
    auto = to_numpy(HandwritingPreprocess()(photo))
    dark = to_numpy(HandwritingPreprocess(polarity="dark_on_light")(photo))
    np.testing.assert_allclose(auto, dark, atol=1e-5)
    assert dark[0, 12:16, 12:16].max() < 0.1 and dark.sum() > 50  # the ring, not the shadow


def test_strokes_wider_than_the_background_window_are_kept_whole() -> None:
    # The marker's strokes are about as wide as the background window (a third of the
    # image): the opening took them for background and nothing, or only their edges,
    # was left. On clean paper the background cannot rise above the paper's colour.
    out = to_numpy(HandwritingPreprocess()(thick_marker_zero()[None]))[0, ..., 0]
    assert out.sum() > 120  # a thick ring (an MNIST digit has about 100)
    assert (out > 0.5).mean() > 0.15
    assert out[12:16, 12:16].max() < 0.1  # the hole stays empty


def ring_with_smudge(smudge: bool) -> np.ndarray:
    """A thin dark '0' on grey paper, with or without a faint smudge below it."""
    image = np.full((200, 200), 210.0)
    if smudge:
        image[128:136, 70:130] -= 45
    cv2.ellipse(image, (100, 80), (16, 24), 0, 0, 360, 50, 3, cv2.LINE_AA)
    image = np.clip(cv2.GaussianBlur(image, (0, 0), 1.0), 0, 255).astype(np.uint8)
    return np.repeat(image[..., None], 3, axis=2)


def test_faint_remnants_near_the_digit_do_not_move_it() -> None:
    # The smudge is too faint to be part of the digit's box, but used to count for the
    # centre of mass, which put the digit more than a pixel off centre.
    out = to_numpy(HandwritingPreprocess()(np.stack([ring_with_smudge(True),
                                                     ring_with_smudge(False)])))[..., 0]
    np.testing.assert_allclose(out[0], out[1], atol=0.02)
    np.testing.assert_allclose(centre_of_mass(out[0]), (13.5, 13.5), atol=0.1)


def photo_at_the_table_edge(junk: bool) -> np.ndarray:
    """A '4' on paper; with `junk`, the dark table above the paper and a shadowed edge."""
    rng = np.random.default_rng(1)
    paper = 200 + rng.normal(0, 3, (256, 256))
    if junk:
        edge = (30 + 8 * np.sin(np.arange(256) / 23.0)).astype(int)
        for col, rows in enumerate(edge):
            paper[:rows, col] = 95 + rng.normal(0, 3, rows)
        paper[:, 236:] -= 60
    image = np.clip(paper, 0, 255).astype(np.uint8)
    cv2.putText(image, "4", (100, 160), cv2.FONT_HERSHEY_SIMPLEX, 2.2, 70, 2, cv2.LINE_AA)
    return np.repeat(image[..., None], 3, axis=2)


def test_ink_connected_to_the_border_is_not_the_digit() -> None:
    # The table and the shadowed edge touch the photo's border and used to stretch the
    # crop: a small 4 under a frame-like bracket, read as a 7.
    photos = np.stack([photo_at_the_table_edge(True), photo_at_the_table_edge(False)])
    out = to_numpy(HandwritingPreprocess()(photos))[..., 0]
    np.testing.assert_allclose(out[0], out[1], atol=0.05)


def test_a_digit_touching_the_border_is_kept_with_a_speck_beside_it() -> None:
    # Tight crop: the digit itself is connected to the border; the speck left over
    # must not be taken for the digit.
    image = np.full((120, 90), 245, np.uint8)
    cv2.line(image, (45, 0), (45, 119), 20, 9)
    cv2.circle(image, (75, 20), 3, 20, -1)
    out = to_numpy(HandwritingPreprocess()(np.repeat(image[..., None], 3, axis=2)[None]))
    rows = np.nonzero(out[0, ..., 0].max(axis=1) > 0.5)[0]
    cols = np.nonzero(out[0, ..., 0].max(axis=0) > 0.5)[0]
    assert rows.max() - rows.min() + 1 >= 18  # the whole stroke, scaled to ~20 px,
    assert cols.max() - cols.min() + 1 <= 8  # not the round speck


@pytest.mark.parametrize("shape", [(56, 56), (84, 112), (100, 75), (29, 41), (20, 20)])
@pytest.mark.parametrize("channels", [1, 3])
def test_tutorial_mode_equals_article_cv2_pipeline(shape, channels, rng) -> None:
    x = rng.integers(0, 256, (2, *shape, channels), dtype=np.uint8)
    out = to_numpy(HandwritingPreprocess(mode="tutorial")(x))[..., 0]
    for image, got in zip(x, out, strict=True):
        gray = image[..., 0] if channels == 1 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        small = cv2.resize(gray, (28, 28), interpolation=cv2.INTER_AREA)
        expected = 1.0 - small / 255.0
        np.testing.assert_allclose(got, expected, atol=1.0 / 255 + 1e-4)


def test_blank_and_all_ink_images_are_zero_not_nan() -> None:
    x = np.stack(
        [
            np.full((64, 64, 3), 255, np.uint8),
            np.zeros((64, 64, 3), np.uint8),
            np.full((64, 64, 3), 128, np.uint8),
        ]
    )
    out = to_numpy(HandwritingPreprocess()(x))
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(out, 0.0)
    floats = to_numpy(HandwritingPreprocess()(np.zeros((1, 40, 30, 1), np.float32)))
    np.testing.assert_array_equal(floats, 0.0)


def test_float_input_in_0_255_matches_uint8(rng) -> None:
    photo = photo_with_glyph(rng)[None]
    a = to_numpy(HandwritingPreprocess()(photo))
    b = to_numpy(HandwritingPreprocess()(photo.astype("float32")))
    c = to_numpy(HandwritingPreprocess()(photo.astype("float32") / 255.0))
    np.testing.assert_allclose(a, b, atol=1e-4)
    np.testing.assert_allclose(a, c, atol=1e-4)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "fancy"}, "mode"),
        ({"polarity": "dark"}, "polarity"),
        ({"box_size": 30}, "box_size"),
        ({"output_size": 0}, "output_size"),
        ({"working_size": 16}, "working_size"),
        ({"threshold": 1.0}, "threshold"),
    ],
)
def test_bad_arguments(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        HandwritingPreprocess(**kwargs)


@pytest.mark.parametrize(
    ("x", "error", "message"),
    [
        (np.zeros((8, 8), np.uint8), ValueError, "shape"),
        (np.zeros((1, 8, 8, 2), np.uint8), ValueError, "channels"),
        (np.zeros((1, 8, 8, 1), bool), TypeError, "bool"),
    ],
)
def test_bad_inputs(x, error, message) -> None:
    with pytest.raises(error, match=message):
        HandwritingPreprocess()(x)


def test_config_save_load_and_functional_model(tmp_path, rng) -> None:
    layer = HandwritingPreprocess(polarity="dark_on_light", box_size=18, thicken=False)
    assert_config_round_trip(layer)
    photos = np.stack([photo_with_glyph(rng, h=96, w=128, top=10, left=40)] * 2)
    inputs = keras.Input((96, 128, 3), dtype="uint8")
    x = layer(inputs)
    x = keras.layers.Flatten()(x)
    model = keras.Model(inputs, keras.layers.Dense(3)(x))
    assert model.output_shape == (None, 3)
    expected = to_numpy(model(photos))
    loaded = save_and_load(model, tmp_path)
    np.testing.assert_allclose(to_numpy(loaded(photos)), expected, atol=1e-5)
    functional = in_functional_model(HandwritingPreprocess(), (96, 128, 3))
    predicted = functional.predict(photos.astype("float32"), verbose=0)
    np.testing.assert_allclose(
        predicted, to_numpy(HandwritingPreprocess()(photos.astype("float32"))), atol=1e-4
    )


def test_in_tf_data(rng) -> None:
    photos = np.stack([photo_with_glyph(rng, h=96, w=128, top=10, left=40)] * 3)
    layer = HandwritingPreprocess()
    batches = map_with_tf_data(layer, photos, batch_size=2)
    assert [b.shape for b in batches] == [(2, 28, 28, 1), (1, 28, 28, 1)]
    assert all(b.dtype == np.float32 for b in batches)
    np.testing.assert_allclose(np.concatenate(batches), to_numpy(layer(photos)), atol=1e-4)


@pytest.mark.parametrize("mode", ["mnist", "tutorial"])
def test_layer_contract(mode: str, tmp_path, rng) -> None:
    photos = np.stack([photo_with_glyph(rng, h=96, w=128, top=10, left=40)] * 2)
    run_layer_test(HandwritingPreprocess, {"mode": mode}, photos, tmp_path=tmp_path,
                   atol=1e-4, mixed_atol=1e-4)


# ------------------------------------------------------------------ non-finite and empty
@pytest.mark.parametrize("mode", ["mnist", "tutorial"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_one_non_finite_pixel_changes_little(mode, bad) -> None:
    photo = np.full((1, 64, 64, 3), 0.9, np.float32)
    photo[0, 12:52, 28:34] = 0.1  # a dark "1"
    clean = np.asarray(HandwritingPreprocess(mode=mode)(photo))
    spoiled = photo.copy()
    spoiled[0, 3, 5, 1] = bad
    out = np.asarray(HandwritingPreprocess(mode=mode)(spoiled))
    assert np.isfinite(out).all() and out.min() >= 0.0 and out.max() <= 1.0
    assert np.abs(out - clean).max() < 0.05  # one missing pixel, not a different image


def test_all_nan_image_is_blank() -> None:
    out = np.asarray(HandwritingPreprocess()(np.full((2, 32, 32, 1), np.nan, "float32")))
    assert (out == 0.0).all()  # the documented all-zero image of a blank photo
    out = np.asarray(HandwritingPreprocess(mode="tutorial")(np.full((1, 32, 32, 3), np.nan,
                                                                     "float32")))
    assert np.isfinite(out).all() and out.min() >= 0.0 and out.max() <= 1.0


def test_empty_batch_gives_an_empty_batch() -> None:
    # Keras' rule for its preprocessing layers: an empty batch in, an empty batch out.
    out = HandwritingPreprocess()(np.zeros((0, 40, 30, 3), np.uint8))
    assert tuple(out.shape) == (0, 28, 28, 1)
    out = HandwritingPreprocess(data_format="channels_first")(np.zeros((0, 1, 8, 8), "float32"))
    assert tuple(out.shape) == (0, 1, 28, 28)


@given(data=st.data())
@property_settings(max_examples=12)
def test_property_output_is_finite_and_in_unit_range(data) -> None:
    """Any float photo, finite or not, of any size and range: finite output in [0, 1]."""
    height = data.draw(st.integers(2, 40), label="height")
    width = data.draw(st.integers(2, 40), label="width")
    channels = data.draw(st.sampled_from([1, 3, 4]), label="channels")
    values = st.one_of(
        st.floats(0.0, 1.0, width=32),
        st.floats(width=32, allow_nan=False, allow_infinity=False),
        st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 255.0]),
    )
    flat = data.draw(st.lists(values, min_size=8, max_size=8), label="values")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31 - 1), label="seed"))
    photo = rng.choice(np.asarray(flat, np.float32), size=(1, height, width, channels))
    mode = data.draw(st.sampled_from(["mnist", "tutorial"]), label="mode")
    out = np.asarray(_LAYERS[mode](photo))
    assert out.shape == (1, 28, 28, 1)
    assert np.isfinite(out).all() and out.min() >= 0.0 and out.max() <= 1.0
    if np.isnan(photo).all() and mode == "mnist":
        assert (out == 0).all()


_LAYERS = {"mnist": HandwritingPreprocess(working_size=32), "tutorial":
           HandwritingPreprocess(mode="tutorial")}
