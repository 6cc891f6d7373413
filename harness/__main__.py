"""``python -m harness`` is ``rayjob-harness``."""

import sys

from .cli.main import main

sys.exit(main())
