"""The base of rotkeras' image rotation layers (internal).

A rotation layer is written like one of Keras' image preprocessing layers (e.g.
`keras.layers.RandomFlip`), with the same hook names:

- `get_random_transformation(data, training, seed)` draws (or fixes) the rotation of every
  sample and returns a *transformation*: a dict with `"angles"`, float32 degrees
  counter-clockwise of shape `(batch,)`, plus whatever the image hook needs (the
  right-angle layers add `"k"`, the same rotation in quarter turns). Returning `None`
  leaves the input unchanged (e.g. a random layer with `training=False`).
- `transform_images(images, transformation, training)` rotates the images;
- `transform_segmentation_masks(...)` the masks (by default like the images; masks
  without a channel axis get one for the call);
- `transform_bounding_boxes(...)` the boxes (by default `rotkeras.ops.
  rotate_bounding_boxes` with the transformation's angles);
- `transform_labels(...)` the labels (by default unchanged).

`call` validates the input once (an image tensor or a Keras-style dict with `"images"`
and optional `"labels"`, `"segmentation_masks"`, `"bounding_boxes"`), adds `"batched"`
and `"image_size"` (height, width) to the transformation, then runs the hooks; a new option
of a layer goes into the hook it concerns. The rotations themselves are
`rotkeras.ops`. Output specs equal the input's (shape and dtype), also symbolically.
"""

from __future__ import annotations

from typing import Any

import keras

from rotkeras import _validation as check
from rotkeras import ops as rotation_ops
from rotkeras._backend import TFDataLayer


class BaseImageRotation(TFDataLayer):
    """Base class of the rotation layers: validation, dict inputs, hooks, config.

    Args:
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `keras.config.image_data_format()`.
        bounding_box_format: Format of `bounding_boxes` in dict inputs (e.g. `"xyxy"`).
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.
    """

    #: Whether the layer turns by 90/270 degrees, which needs square images (subclasses set it).
    requires_square = False
    # Written with `self.ops`: native in `tf.data` on every backend; eager calls compiled.
    native_in_tf_data = True
    compile_eager_calls = True

    def __init__(
        self,
        data_format: str | None = None,
        bounding_box_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.data_format = check.check_data_format(data_format)
        self.bounding_box_format = bounding_box_format
        self.supports_jit = True
        # NumPy inputs are converted once in `call`, dict inputs are passed as they are.
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True

    # ------------------------------------------------------------------ hooks
    def get_random_transformation(
        self, data: dict[str, Any], training: bool = True, seed: Any = None
    ) -> dict[str, Any] | None:
        """The transformation of this call (see the module docstring), or `None`."""
        raise NotImplementedError

    def transform_images(
        self, images: Any, transformation: dict[str, Any], training: bool = True
    ) -> Any:
        """Rotates a rank-3 or rank-4 image tensor."""
        raise NotImplementedError

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: dict[str, Any], training: bool = True
    ) -> Any:
        """Rotates masks shaped like the images (by default: like the images)."""
        return self.transform_images(segmentation_masks, transformation, training)

    def transform_bounding_boxes(
        self, bounding_boxes: dict[str, Any], transformation: dict[str, Any],
        training: bool = True,
    ) -> dict[str, Any]:
        """Rotates a Keras bounding-box dict (`"boxes"`, `"labels"`) with its image."""
        if not isinstance(bounding_boxes, dict) or "boxes" not in bounding_boxes:
            raise check.ArgumentTypeError(
                "`bounding_boxes` must be a dict with a 'boxes' entry (and usually 'labels'); "
                f"received {type(bounding_boxes).__name__}"
            )
        if self.bounding_box_format is None:
            raise ValueError(
                "Rotating `bounding_boxes` needs `bounding_box_format` (e.g. 'xyxy'); "
                "received bounding_box_format=None"
            )
        height, width = transformation["image_size"]
        result = dict(bounding_boxes)
        result["boxes"] = rotation_ops.rotate_bounding_boxes(
            bounding_boxes["boxes"],
            transformation["angles"] if transformation["batched"] else transformation["angles"][0],
            height=height,
            width=width,
            bounding_box_format=self.bounding_box_format,
        )
        return result

    def transform_labels(
        self, labels: Any, transformation: dict[str, Any], training: bool = True
    ) -> Any:
        """Labels do not turn with their image: returned unchanged."""
        return labels

    # ------------------------------------------------------------------ the call
    def native_tf_data(self, inputs: Any) -> bool:
        """Native in `tf.data` under JAX and PyTorch: images (and labels) of known height and
        width; masks and bounding boxes go through the bridge."""
        data = inputs if isinstance(inputs, dict) else {"images": inputs}
        if (data.get("bounding_boxes") is not None or data.get("segmentation_masks") is not None
                or "images" not in data):
            return False
        shape = getattr(data["images"], "shape", None)
        try:
            dims = tuple(shape)
        except (TypeError, ValueError):  # unknown rank
            return False
        if len(dims) not in (3, 4):
            return False
        return None not in check.spatial_size(dims, self.data_format)

    def compiles_input(self, inputs: Any) -> bool:
        """Compiled calls need a known height and width (else a run-time check, which XLA
        would drop)."""
        return self.native_tf_data(inputs)

    def call(self, inputs: Any, training: bool = True) -> Any:
        xp = self.ops
        data = inputs if isinstance(inputs, dict) else {"images": inputs}
        if "images" not in data:
            raise ValueError(f"A dict input needs an 'images' entry; received keys {sorted(data)}")
        # Converted once: every op would otherwise convert a NumPy input again.
        images = xp.convert_to_tensor(data["images"])
        rank = check.check_image_tensor(images, "images")
        if self.requires_square:
            images = check.check_square_tensor(images, self.data_format, type(self).__name__)
        if data.get("segmentation_masks") is not None:
            masks = xp.convert_to_tensor(data["segmentation_masks"])
            if len(masks.shape) not in (rank - 1, rank):
                raise ValueError(
                    f"`segmentation_masks` must be shaped like the images {tuple(images.shape)}, "
                    f"with or without the channel axis; received shape {tuple(masks.shape)}"
                )
            axis = -1 if self.data_format == "channels_last" else -3
            squeeze = len(masks.shape) == rank - 1
            full = xp.expand_dims(masks, axis) if squeeze else masks
            images, full = check.check_same_images(images, full, "segmentation_masks",
                                                   self.data_format)
            data = {**data, "segmentation_masks": xp.squeeze(full, axis) if squeeze else full}
        data = {**data, "images": images}
        transformation = self.get_random_transformation(data, training=training)
        if transformation is None:
            return inputs
        shape = xp.shape(images)
        h_axis, w_axis = check.spatial_axes(rank, self.data_format)
        transformation = {**transformation, "batched": rank == 4,
                          "image_size": (shape[h_axis], shape[w_axis])}
        outputs = dict(data)
        outputs["images"] = self.transform_images(images, transformation, training)
        if data.get("segmentation_masks") is not None:
            masks = data["segmentation_masks"]
            if len(masks.shape) == rank - 1:  # no channel axis, e.g. (batch, height, width)
                axis = -1 if self.data_format == "channels_last" else -3
                masks = xp.expand_dims(masks, axis)
                masks = xp.squeeze(
                    self.transform_segmentation_masks(masks, transformation, training), axis
                )
            else:
                masks = self.transform_segmentation_masks(masks, transformation, training)
            outputs["segmentation_masks"] = masks
        if data.get("bounding_boxes") is not None:
            outputs["bounding_boxes"] = self.transform_bounding_boxes(
                data["bounding_boxes"], transformation, training
            )
        if data.get("labels") is not None:
            outputs["labels"] = self.transform_labels(data["labels"], transformation, training)
        return outputs if isinstance(inputs, dict) else outputs["images"]

    def batch_size(self, images: Any) -> Any:
        """The batch size of a rank-4 image tensor (1 for an unbatched rank-3 image)."""
        return self.ops.shape(images)[0] if len(images.shape) == 4 else 1

    # ------------------------------------------------------------------ Keras plumbing
    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def compute_output_spec(self, inputs: Any, training: bool = True) -> Any:
        return keras.tree.map_structure(
            lambda x: keras.KerasTensor(x.shape, dtype=x.dtype), inputs
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {"data_format": self.data_format, "bounding_box_format": self.bounding_box_format}
        )
        return config


class BaseRandomImageRotation(BaseImageRotation):
    """Base class of the random rotation layers: the seed and its generator, the identity
    when not training, and `seed` in the config.

    Subclasses implement `draw_transformation(batch_size, seed)`.

    Args:
        seed: Integer seed for reproducible rotations.
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `keras.config.image_data_format()`.
        bounding_box_format: Format of `bounding_boxes` in dict inputs (e.g. `"xyxy"`).
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.
    """

    def __init__(
        self,
        seed: int | None = None,
        data_format: str | None = None,
        bounding_box_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, bounding_box_format=bounding_box_format,
                         **kwargs)
        self.seed = check.check_seed(seed)
        self.generator = keras.random.SeedGenerator(self.seed)

    def get_random_transformation(
        self, data: dict[str, Any], training: bool = True, seed: Any = None
    ) -> dict[str, Any] | None:
        """Draws the rotation of every sample; `None` (no rotation) when not training."""
        if not training:
            return None
        seed = self.seed_generator_for(self.generator) if seed is None else seed
        return self.draw_transformation(self.batch_size(data["images"]), seed)

    def draw_transformation(self, batch_size: Any, seed: Any) -> dict[str, Any]:
        """The transformation of `batch_size` samples drawn with the seed `seed`."""
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["seed"] = self.seed
        return config
