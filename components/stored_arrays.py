"""Trainable NLU components whose model is plain arrays, never a pickle.

The classifiers store their weights as ``.npz`` (loaded with
``allow_pickle=False``) beside a small JSON file, through Rasa's model storage.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, Optional, Tuple, Type, TypeVar

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

logger = logging.getLogger(__name__)

Stored = Tuple[Dict[str, np.ndarray], Dict[str, Any]]
"""Named arrays and the JSON metadata beside them."""

T = TypeVar("T", bound="ArrayModelComponent")


class ArrayModelComponent(GraphComponent):
    """Config, storage and a model that is stored as arrays plus JSON."""

    ARRAYS = "model.npz"
    META = "model.json"

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """No settings by default."""
        return {}

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Optional[Dict[str, Any]] = None,
    ) -> None:
        """Create the component, trained when ``model`` holds its arrays."""
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def create(
        cls: Type[T],
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> T:
        """An untrained component."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls: Type[T],
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> T:
        """A trained component, or an untrained one if nothing was stored."""
        stored = cls.stored(model_storage, resource)
        if stored is None:
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, cls.model_from(*stored))

    @classmethod
    def model_from(
        cls, arrays: Dict[str, np.ndarray], meta: Dict[str, Any]
    ) -> Dict[str, Any]:
        """The model from its stored arrays and metadata (checked by subclasses)."""
        return {**arrays, **meta}

    def store(self, arrays: Dict[str, np.ndarray], meta: Dict[str, Any]) -> None:
        """Write the arrays (npz) and the metadata (JSON) to the model storage."""
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / self.ARRAYS, **arrays)
            (directory / self.META).write_text(json.dumps(meta))

    @classmethod
    def stored(
        cls, model_storage: ModelStorage, resource: Resource
    ) -> Optional[Stored]:
        """The arrays and metadata stored for ``resource``, or None if untrained."""
        try:
            with model_storage.read_from(resource) as directory:
                meta = json.loads((directory / cls.META).read_text())
                with np.load(directory / cls.ARRAYS, allow_pickle=False) as arrays:
                    return {k: arrays[k] for k in arrays.files}, meta
        except (ValueError, FileNotFoundError):
            logger.debug("%s: no trained model stored.", cls.__name__)
            return None
