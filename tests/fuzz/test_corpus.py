"""Inputs that once crashed or hung the harness, kept as a regression corpus: each now runs or is refused.

The files are in ``corpus/``; a ``*-scenario.yaml`` is run with ``rayjob-harness run``, any other with
``rayjob-harness simulate``, both on the scripted executor. Each case says the exit code and a part of the
message it must give.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Cli, assert_handled

CORPUS = Path(__file__).parent / "corpus"
ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "scenarios" / "manifests" / "tutorial-rayjob-as-written.yaml"
SAMPLE = ROOT / "scenarios" / "manifests" / "rayjob.yaml"

FILES = {
    "billion-laughs.yaml": (2, "document contains excessive aliasing"),
    "billion-laughs-scenario.yaml": (2, "document contains excessive aliasing"),
    "recursive-anchor.yaml": (2, "anchor 'm' value contains itself"),
    "deep-nesting.yaml": (2, "nesting deeper than 100 levels is not supported"),
    "nul-character.yaml": (2, "control characters are not allowed (found #x0000)"),
    "control-character.yaml": (2, "control characters are not allowed (found #x001b)"),
    "long-file-name-scenario.yaml": (2, "the name is too long"),
    "labels-true.yaml": (2, "cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type "
                            "map[string]string"),
    "annotations-list.yaml": (2, "cannot unmarshal array into Go struct field ObjectMeta.metadata.annotations"),
    "finalizers-number.yaml": (2, "cannot unmarshal number into Go struct field ObjectMeta.metadata.finalizers"),
    "raycluster-without-spec.yaml": (0, "InvalidRayClusterSpec: The RayCluster spec is invalid default/empty: "
                                        "headGroupSpec should have at least one container"),
    "configmap-twice-labels-text.yaml": (2, "cannot unmarshal string into Go struct field "
                                            "ObjectMeta.metadata.labels"),
    "configmap-data-nested-lists.yaml": (2, "cannot unmarshal array into Go struct field ConfigMap.data of type "
                                            "map[string]string"),
    "advance-nan-scenario.yaml": (2, "advance must be a duration, got value=nan"),
    "advance-inf-scenario.yaml": (2, "advance must be a duration of at most 2562047h47m16.854775807s"),
    "advance-huge-scenario.yaml": (2, "advance must be a duration of at most 2562047h47m16.854775807s"),
    "wait-timeout-nan-scenario.yaml": (2, "wait timeout must be a duration or short, medium or long, got value=nan"),
    "stays-ten-thousand-hours-scenario.yaml": (0, "stays-running"),
    "replicas-hexadecimal.yaml": (2, 'replicas in body must be of type integer: "string"'),
    "replicas-beyond-int32.yaml": (2, "KubeRay cannot decode RayCluster 'big'"),
    "replicas-two-billion.yaml": (2, "asks for 2000000000 worker Pods; the simulator models RayClusters of at most"),
    "sleep-a-day-scenario.yaml": (2, "sleep=24h is longer than 1h"),
}

FLAGS = {
    "tutorial for 12 days": ((str(TUTORIAL), "--for", "12d"), 1, "stopped by --for 288h"),
    "for nan": ((str(SAMPLE), "--for", ".nan"), 2, "argument --for"),
    "for inf": ((str(SAMPLE), "--for", "inf"), 2, "argument --for"),
    "for 1e308": ((str(SAMPLE), "--for", "1.0e+308"), 2, "argument --for"),
    "for 400 digits": ((str(SAMPLE), "--for", "9" * 400 + "h"), 2, "is longer than the longest duration"),
    "job runtime 20000h": ((str(SAMPLE), "--job-runtime", "20000h", "--for", "20001h"), 0,
                           "deployment=Complete"),
}


def test_every_file_of_the_corpus_has_a_case() -> None:
    assert sorted(p.name for p in CORPUS.glob("*.yaml")) == sorted(FILES)


@pytest.mark.parametrize("name", sorted(FILES))
def test_a_corpus_file_runs_or_is_refused_with_its_message(cli: Cli, name: str) -> None:
    path = CORPUS / name
    argv = ("run", str(path), "--executor", "scripted") if name.endswith("-scenario.yaml") else \
        ("simulate", "--executor", "scripted", str(path), "--for", "1h")
    outcome = cli.run(*argv)
    assert_handled(outcome, source=path.name)
    exit_code, message = FILES[name]
    assert outcome.exit == exit_code, outcome.describe()
    assert message in outcome.stdout + outcome.stderr, outcome.describe()


@pytest.mark.parametrize("name", sorted(FLAGS))
def test_a_flag_from_the_corpus_is_used_or_refused_with_its_message(cli: Cli, name: str) -> None:
    args, exit_code, message = FLAGS[name]
    outcome = cli.run("simulate", "--executor", "scripted", *args)
    assert_handled(outcome)
    assert outcome.exit == exit_code, outcome.describe()
    assert message in outcome.stdout + outcome.stderr, outcome.describe()
