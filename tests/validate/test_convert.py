"""``validate --convert``: ray.io/v1alpha1 to ray.io/v1, comments and order kept, and what could not be mapped."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from harness.errors import ManifestError
from harness.validate import convert_text, validate_paths

from .support import TUTORIAL, cli, write

TUTORIAL_AS_V1 = """\
apiVersion: ray.io/v1
kind: RayJob
metadata:
  name: rayjob-sample
spec:
  entrypoint: "python /app/train.py"
  runtimeEnvYAML: |
    working_dir: "s3://your-bucket/train-script"
    pip:
      - scikit-learn
      - pandas
    env_vars:
      DATA_PATH: "s3://your-bucket/data/train.csv"
  rayClusterSpec:
"""

COMMENTED = """\
# Nightly training, owned by the ML platform team.
apiVersion: "ray.io/v1alpha1"   # quoted, with a comment
kind: RayJob
metadata:
  name: nightly
spec:
  entrypoint: python train.py
  runtimeEnv:
    # where the code lives
    workingDir: s3://bucket/code.zip
    pip: ["torch==2.3"]   # pinned
    config:
      setupTimeoutSeconds: 600
  shutdownAfterJobFinishes: true  # clean up
  rayClusterSpec:
    headGroupSpec:
      template:
        spec:
          containers: [{name: head, image: "rayproject/ray:2.52.0"}]
"""


def test_the_tutorial_becomes_a_v1_rayjob_with_runtime_env_yaml_and_ray_key_names():
    result = convert_text(TUTORIAL.read_text(), "rayjob-sample.yaml")
    assert result.text.startswith(TUTORIAL_AS_V1)
    assert result.text.endswith(TUTORIAL.read_text().split("  rayClusterSpec:\n", 1)[1])
    assert (result.converted, result.notes) == (1, ())


def test_comments_quoting_and_order_are_kept_outside_the_changed_lines():
    text = convert_text(COMMENTED, "nightly.yaml").text
    assert text.splitlines()[:2] == ["# Nightly training, owned by the ML platform team.",
                                     'apiVersion: "ray.io/v1"   # quoted, with a comment']
    assert "  runtimeEnvYAML: |\n    # where the code lives\n    working_dir: s3://bucket/code.zip\n" \
           '    pip: ["torch==2.3"]   # pinned\n    config:\n      setup_timeout_seconds: 600\n' in text
    assert text.split("  shutdownAfterJobFinishes", 1)[1] == COMMENTED.split("  shutdownAfterJobFinishes", 1)[1]


def test_a_flow_mapping_on_one_line_is_renamed_key_by_key():
    text = convert_text(COMMENTED.replace(
        "  runtimeEnv:\n    # where the code lives\n    workingDir: s3://bucket/code.zip\n"
        '    pip: ["torch==2.3"]   # pinned\n    config:\n      setupTimeoutSeconds: 600\n',
        '  runtimeEnv: {workingDir: "s3://b/c.zip", envVars: {A: "1"}}\n'), "x.yaml").text
    assert '  runtimeEnvYAML: |\n    {working_dir: "s3://b/c.zip", env_vars: {A: "1"}}\n' in text


def test_a_base64_runtime_env_of_kuberay_1_0_is_decoded():
    encoded = base64.b64encode(json.dumps({"workingDir": "s3://b/c.zip", "pip": ["a"]}).encode()).decode()
    source = COMMENTED.split("  runtimeEnv:")[0] + f"  runtimeEnv: {encoded}\n"
    text = convert_text(source, "x.yaml").text
    assert text.endswith("  runtimeEnvYAML: |\n    working_dir: s3://b/c.zip\n    pip:\n    - a\n")


def test_what_cannot_be_mapped_is_left_as_written_and_noted():
    source = COMMENTED.replace("    pip:", "    customPlugin: 1\n    pip:").replace(
        "  shutdownAfterJobFinishes", "  output: s3://bucket/out\n  shutdownAfterJobFinishes")
    result = convert_text(source, "x.yaml")
    assert [str(note) for note in result.notes] == [
        "x.yaml:11:5: runtime_env key 'customPlugin' is not one Ray knows; left as written (Ray ignores it)",
        "x.yaml:15:3: spec.output is not a field of ray.io/v1 RayJob either; left as written"]
    assert "    customPlugin: 1\n" in result.text and "  output: s3://bucket/out\n" in result.text


def test_runtime_env_next_to_runtime_env_yaml_is_not_merged():
    source = COMMENTED.replace("  shutdownAfterJobFinishes", "  runtimeEnvYAML: 'pip: [x]'\n  shutdownAfterJobFinishes")
    result = convert_text(source, "x.yaml")
    assert "  runtimeEnv:\n" in result.text
    assert [note.message for note in result.notes] == [
        "runtimeEnv and runtimeEnvYAML are both set; runtimeEnv left as written (remove one of them)"]


def test_v1_objects_and_other_kinds_are_left_untouched():
    others = "apiVersion: ray.io/v1\nkind: RayJob\nmetadata: {name: a}\nspec: {entrypoint: x}\n---\n" \
             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata: {k: v}\n"
    result = convert_text(others, "x.yaml")
    assert (result.text, result.converted) == (others, 0)


def test_a_v1alpha1_raycluster_is_converted_too():
    result = convert_text("apiVersion: ray.io/v1alpha1\nkind: RayCluster\nmetadata: {name: c}\nspec: {}\n", "c.yaml")
    assert result.text.startswith("apiVersion: ray.io/v1\nkind: RayCluster\n")


def test_a_file_that_is_not_yaml_is_refused():
    with pytest.raises(ManifestError, match="not valid YAML"):
        convert_text("kind: [\n", "x.yaml")


def test_the_converted_manifest_has_no_schema_finding_left(tmp_path: Path):
    converted = write(tmp_path, "nightly.yaml", convert_text(COMMENTED, "nightly.yaml").text)
    assert [f.rule for f in validate_paths([converted]).findings if f.layer.value == "schema"] == []


def test_convert_prints_the_yaml_and_notes_and_exits_1_when_something_was_not_mapped(tmp_path: Path):
    clean = cli("validate", "--convert", str(TUTORIAL))
    assert (clean.returncode, clean.stderr) == (0, "")
    assert clean.stdout.startswith(TUTORIAL_AS_V1)
    noted = write(tmp_path, "x.yaml", COMMENTED.replace("    pip:", "    customPlugin: 1\n    pip:"))
    result = cli("validate", "--convert", noted)
    assert result.returncode == 1
    assert result.stderr == f"{noted}:11:5: note: runtime_env key 'customPlugin' is not one Ray knows; left as " \
                            "written (Ray ignores it)\n"


def test_convert_write_rewrites_the_files_in_place(tmp_path: Path):
    path = write(tmp_path, "rayjob.yaml", TUTORIAL.read_text())
    first = cli("validate", "--convert", "--write", path)
    assert (first.returncode, first.stdout) == (0, "")
    assert first.stderr == f"{path}: converted 1 object(s)\n"
    assert Path(path).read_text().startswith(TUTORIAL_AS_V1)
    again = cli("validate", "--convert", "--write", path)
    assert again.stderr == f"{path}: nothing to convert\n"


def test_convert_of_unreadable_input_exits_2(tmp_path: Path):
    result = cli("validate", "--convert", write(tmp_path, "x.yaml", "kind: [\n"), str(tmp_path / "missing.yaml"))
    assert result.returncode == 2
    assert "manifest is not valid YAML" in result.stderr and "no such file or folder" in result.stderr
