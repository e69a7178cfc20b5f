"""Start the action server after validating the knowledge base.

``python -m actions --port 5055`` takes the options of ``rasa run actions``.
An invalid knowledge base stops it at once with a message naming the file,
the entry and the problem.
"""

from __future__ import annotations

import sys

from rasa_sdk.__main__ import main_from_args
from rasa_sdk.endpoint import create_argument_parser

from medspa.knowledge_base import KnowledgeBaseError, load_knowledge_base
from medspa.settings import get_settings


def main(argv: list) -> int:
    """Validate the knowledge base, then serve the actions."""
    args = create_argument_parser().parse_args(argv)
    args.actions = args.actions or "actions"
    path = get_settings().knowledge_base_path
    try:
        kb = load_knowledge_base(path)
    except KnowledgeBaseError as error:
        print(f"Knowledge base error: {error}", file=sys.stderr)
        return 1
    covered = sum(len(t.covered_topics()) for t in kb.treatments.values())
    print(
        f"Knowledge base {path}: {len(kb.treatments)} treatments, {covered} answers",
        flush=True,
    )
    main_from_args(args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
