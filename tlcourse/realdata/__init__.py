"""Real data: binary tasks on images, in the same shape as the model's tasks (three modules).

- :mod:`~tlcourse.realdata.files`: image files in standard formats (IDX, CIFAR-10 batches) and
  scikit-learn's digits, as :class:`ImageData`;
- :mod:`~tlcourse.realdata.tasks`: a source and a target binary task on disjoint parts of the
  images (:func:`make_real_tasks`, :class:`RealTask`);
- :mod:`~tlcourse.realdata.curves`: the transfer protocols on those tasks
  (:func:`real_learning_curves`, :func:`curves_of`, :func:`compare`).

Every public name of the three is available here (``from tlcourse import realdata as rd``;
``rd.load_digits()``). The curves load PyTorch on first use only, so reading files and building
tasks stays light.
"""

from .files import (
    SPLITS,
    ImageData,
    load_cifar10_folder,
    load_digits,
    load_folder,
    load_idx_folder,
    read_idx,
)
from .tasks import (
    RealTask,
    Standardiser,
    grouping_labels,
    grouping_name,
    label_correlation,
    make_real_tasks,
)

_CURVES = ("real_learning_curves", "curves_of", "compare")

__all__ = [
    "SPLITS",
    "ImageData",
    "RealTask",
    "Standardiser",
    "compare",
    "curves_of",
    "grouping_labels",
    "grouping_name",
    "label_correlation",
    "load_cifar10_folder",
    "load_digits",
    "load_folder",
    "load_idx_folder",
    "make_real_tasks",
    "read_idx",
    "real_learning_curves",
]


def __getattr__(name: str):
    if name in _CURVES:
        from . import curves

        return getattr(curves, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
