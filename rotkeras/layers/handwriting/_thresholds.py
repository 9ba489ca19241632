"""The named thresholds of `HandwritingPreprocess`'s MNIST pipeline (internal).

Fractions are of the ink's peak (in `[0, 1]`) or of the longer side of the working image
(`longest`), as each line says; windows given as divisors are `longest / divisor`.
"""

# ------------------------------------------------------------- working image, polarity
#: The smallest side of the working image, in pixels.
MIN_WORKING_SIDE = 8
#: Polarity: `longest / LOCAL_WINDOW` is the window of a pixel's neighbourhood.
LOCAL_WINDOW = 1.5
#: Polarity: the fraction of the most extreme pixels whose mean is the ink's contrast.
EXTREME_FRACTION = 0.003
#: Polarity: the width in pixels of the frame's border whose colour is the paper's.
BORDER_WIDTH = 2
#: Polarity: a border whose colour spreads by this much (in [0, 1]) is not uniform.
UNIFORM_SPREAD = 0.05
#: Polarity: added before the logarithms of the votes (no log of 0).
VOTE_OFFSET = 0.01
#: Polarity: the weight of the border's vote and of the typical pixel's vote.
VOTE_WEIGHT = 0.5
#: Background: `longest / BACKGROUND_WINDOW` is the window of the grey opening.
BACKGROUND_WINDOW = 3.0
#: Background: on uniform paper it is capped at the paper's ink level plus this much ...
BACKGROUND_MARGIN = 0.05
#: ... plus this many times the border's spread.
BACKGROUND_SPREAD = 3.0
#: Paper texture: ink below this many times the paper's typical response is removed.
TEXTURE_FACTOR = 3.0
#: Threshold: `longest / DENSITY_WINDOW` is the window of the ink's density.
DENSITY_WINDOW = 10.0
#: Threshold: the digit's region, where the density is at least this share of its peak.
DIGIT_REGION = 0.2
#: Threshold: the fraction (and least number) of the brightest pixels whose mean is the
#: ink's peak.
PEAK_FRACTION = 0.0005
PEAK_MINIMUM = 2
#: Crop: the density-weighted mass quantiles of the digit's core.
CORE_QUANTILES = (0.02, 0.98)
#: Crop: the margin kept around the core, a share of its longer side plus input pixels.
CROP_MARGIN = 0.35
CROP_MARGIN_PIXELS = 2.0
#: Crop: strokes at least this bright (of 1) set the digit's box ...
STRONG_INK = 0.35
#: ... between these mass quantiles.
BOX_QUANTILES = (0.003, 0.997)
#: Placing: ink counts within this share of the box (plus input pixels) around it.
EDGE_SHARE = 0.15
EDGE_PIXELS = 1.0

# ---------------------------------------------------------- removing what is not the digit
#: Ink above this share of its peak counts as ink for connectivity.
INK_MASK_LEVEL = 0.15
#: Border ink: runs along the border at least this share of the side long are not the digit.
BORDER_RUN = 0.1
#: Border ink: its halo (pixels) removed with it.
BORDER_HALO = 5
#: Border ink: removed only if the rest holds this share of the ink ...
MIN_INNER_SHARE = 0.05
#: ... with strong strokes spanning this share of `longest`.
MIN_DIGIT_EXTENT = 0.1
#: Second object: `cells / COMPONENT_WINDOW` is the window of the density whose peak seeds
#: the digit; cells at this share of the peak are seeds.
COMPONENT_WINDOW = 4.0
SEED_LEVEL = 0.8
#: Second object: the digit's part must hold this share of the ink, else all is kept.
MIN_COMPONENT_SHARE = 0.4
#: Ruled lines: at least this share of the width (or height) long ...
LINE_LENGTH = 0.7
#: ... at most this many working pixels thick, tilted within this band (pixels).
LINE_THICKNESS = 5
LINE_BAND = 5
#: Ruled lines: removed only if this share of the ink is left.
MIN_LINE_REMAINDER = 0.05
#: Thickening: strokes thinner than this (pixels, 2 area / perimeter) are hairlines ...
HAIRLINE_WIDTH = 1.3
#: ... grown by a 3x3 dilation of this weight.
THICKEN_WEIGHT = 0.6
