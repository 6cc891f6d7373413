"""``python -m harness`` is ``rayjob-harness``."""

import sys

try:
    from .cli.main import main

    code = main()
except KeyboardInterrupt:  # Ctrl-C while the CLI is still being imported: the same one line as later on
    print("interrupted", file=sys.stderr)
    code = 130
sys.exit(code)
