"""Rasa's RulePolicy and the project's, trained on the project's files.

For the policy tests and ``benchmarks/rule_policy.py``: both policies trained
as ``rasa train`` trains them (config.yml's settings, the domain, data/rules.yml
and data/stories.yml), into a model storage folder of the caller's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Tuple

from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.importers.importer import TrainingDataImporter

from components.rule_policy import RecentRulePolicy
from tests.support.servers import PROJECT_DIR


def trained_rule_policies(
    storage_dir: Path,
) -> Tuple[Domain, RulePolicy, RecentRulePolicy]:
    """The domain, Rasa's RulePolicy and the RecentRulePolicy, both trained."""
    importer = TrainingDataImporter.load_from_config(
        str(PROJECT_DIR / "config.yml"),
        str(PROJECT_DIR / "domain.yml"),
        [str(PROJECT_DIR / "data" / name) for name in ("rules.yml", "stories.yml")],
    )
    domain = importer.get_domain()
    trackers = TrainingDataGenerator(
        importer.get_stories(), domain, augmentation_factor=0
    ).generate()
    (settings,) = [
        policy
        for policy in importer.get_config()["policies"]
        if policy["name"].endswith("RulePolicy")
    ]
    config = {key: value for key, value in settings.items() if key != "name"}
    storage = LocalModelStorage(storage_dir)
    trained = []
    for kind in (RulePolicy, RecentRulePolicy):
        policy = kind.create(
            {**kind.get_default_config(), **config},
            storage,
            Resource(kind.__name__),
            ExecutionContext(GraphSchema({}), node_name=kind.__name__),
        )
        policy.train(trackers, domain)
        trained.append(policy)
    return domain, trained[0], trained[1]
