"""Whatever it is given, ``validate`` never crashes: it answers with findings or success, in every format.

Hypothesis feeds arbitrary text, random YAML documents and mutations of the valid rule examples (fields deleted,
renamed, retyped, added, list items duplicated), and checks the answer: an exit code of 0, 1 or 2 that agrees with
the findings, every finding catalogued with a place, a message and a fix, and output that renders as text, JSON
and valid SARIF.
"""

from __future__ import annotations

import io
import json
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.validate import RULES, Report, Severity, render_json, render_sarif, render_text, validate_paths

from .support import RULE_EXAMPLES
from .test_sarif import sarif_errors

VALID_DOCUMENTS = [doc for path in sorted(RULE_EXAMPLES.rglob("pass.yaml"))
                   for doc in yaml.safe_load_all(path.read_text()) if isinstance(doc, dict)]
WORDS = ["spec", "rayClusterSpec", "runtimeEnvYAML", "runtimeEnv", "workingDir", "working_dir", "ports", "name",
         "dashboard", "containerPort", "image", "kind", "apiVersion", "metadata", "suspend", "jobId", "deletionRules",
         "policy", "condition", "clusterSelector", "ray.io/cluster", "submissionMode", "entrypoint", "template",
         "containers", "volumeMounts", "mountPath", "configMap", "data", "rayVersion", "headGroupSpec", "env"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 70000), st.floats(allow_nan=False, width=16),
                    st.sampled_from(["", "RayJob", "ray.io/v1", "ray.io/v1alpha1", "v1", "ConfigMap", "RayCluster",
                                     "s3://b/dir", "python /app/x.py", "2.9.0", "rayproject/ray:2.46.0", "K8sJob",
                                     "DeleteCluster", "FAILED", "Failed", "pip: [x]", "- a", "{", "x: [", "dashboard",
                                     "InteractiveMode", "SidecarMode", "a.b", "A" * 60]),
                    st.text(max_size=8))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                        st.dictionaries(st.sampled_from(WORDS), inner, max_size=4)),
                      max_leaves=10)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _mutate(document: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    doc = json.loads(json.dumps(document))
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        path = data.draw(st.sampled_from(_paths(doc)), label="path")
        if not path:
            continue
        parent: Any = doc
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        action = data.draw(st.sampled_from(["delete", "replace", "rename", "add", "duplicate"]), label="action")
        if action == "delete":
            del parent[last]
        elif action == "replace":
            parent[last] = data.draw(values, label="value")
        elif action == "rename" and isinstance(parent, dict):
            parent[data.draw(st.sampled_from([str(last).lower(), str(last).upper(), *WORDS]), label="key")] = \
                parent.pop(last)
        elif action == "add" and isinstance(parent[last], dict):
            parent[last][data.draw(st.sampled_from(WORDS), label="key")] = data.draw(values, label="value")
        elif action == "duplicate" and isinstance(parent[last], list) and parent[last]:
            parent[last].append(parent[last][0])
    return doc


def _answer(text: str) -> Report:
    report = validate_paths(["-"], stdin=io.StringIO(text))
    assert report.exit_code in (0, 1, 2)
    assert (report.exit_code == 2) == report.unreadable
    assert (report.exit_code == 1) == (not report.unreadable and report.errors > 0)
    for finding in report.findings:
        assert finding.rule in RULES and finding.message and finding.fix, finding
        assert finding.pos.path == "<stdin>" and finding.pos.line >= 0
        assert finding.severity in (Severity.ERROR, Severity.WARNING, Severity.NOTE)
    render_text(report)
    json.loads(render_json(report, "0"))
    json.loads(render_sarif(report, "0"))
    return report


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(alphabet=st.sampled_from(list("apiVersion: ray.io/v1\nkind: RayJob- []{}'\"#&*!|>%@`\t")),
                    max_size=120))
def test_any_text_gets_an_answer(text: str) -> None:
    _answer(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents=st.lists(st.dictionaries(st.sampled_from(WORDS), values, max_size=5), min_size=1, max_size=3))
def test_any_yaml_documents_get_an_answer(documents: list[dict[str, Any]]) -> None:
    _answer(yaml.safe_dump_all(documents, sort_keys=False))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_mutation_of_a_valid_manifest_gets_an_answer(data: st.DataObject) -> None:
    documents = [_mutate(data.draw(st.sampled_from(VALID_DOCUMENTS), label="manifest"), data)
                 for _ in range(data.draw(st.integers(1, 2), label="documents"))]
    _answer(yaml.safe_dump_all(documents, sort_keys=False))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_sarif_of_any_answer_is_valid_sarif(data: st.DataObject) -> None:
    document = _mutate(data.draw(st.sampled_from(VALID_DOCUMENTS), label="manifest"), data)
    report = _answer(yaml.safe_dump(document, sort_keys=False))
    assert sarif_errors(json.loads(render_sarif(report, "0"))) == []
