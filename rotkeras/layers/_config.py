"""Layer configs built from attribute names (internal).

Every rotkeras layer stores each constructor argument under the argument's own name, so its
`get_config` is the base config plus those attributes; `with_attributes` writes that once.
"""

from __future__ import annotations

from typing import Any


def with_attributes(config: dict[str, Any], layer: Any, *names: str) -> dict[str, Any]:
    """Returns `config` updated with `getattr(layer, name)` under each of `names`."""
    config.update({name: getattr(layer, name) for name in names})
    return config
