"""The ``rayjob-harness`` command line: thin argument handling over the simulator, runner and reports."""
