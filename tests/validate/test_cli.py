"""``rayjob-harness validate`` as a person and a CI job meet it: exit codes, formats, inputs, flags."""

from __future__ import annotations

import json
from pathlib import Path

from .support import RULE_EXAMPLES, TUTORIAL, cli, cli_process, write

CLEAN = RULE_EXAMPLES / "schema/deprecated-version/pass.yaml"
WARNS = RULE_EXAMPLES / "pitfall/cluster-left-behind/fail.yaml"


def test_a_clean_manifest_exits_0_with_a_one_line_summary():
    result = cli("validate", str(CLEAN))
    assert result.returncode == 0, result.stdout
    assert result.stdout == "No problems found (2 objects in 1 file, KubeRay 1.7.0).\n"


def test_warnings_alone_exit_0_and_strict_makes_them_errors_with_exit_1():
    lenient = cli("validate", str(WARNS))
    strict = cli("validate", "--strict", str(WARNS))
    assert lenient.returncode == 0 and ": warning: " in lenient.stdout
    assert strict.returncode == 1 and ": error: " in strict.stdout and ": warning: " not in strict.stdout
    assert "--strict counts warnings as errors" in strict.stdout


def test_garbage_input_exits_2_without_a_traceback(tmp_path: Path):
    garbage = write(tmp_path, "garbage.yaml", "apiVersion: ray.io/v1\nkind: [RayJob\n  spec: {: :\n")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(bytes(range(256)))
    result = cli_process("validate", garbage, str(binary), str(tmp_path / "missing.yaml"))
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert "garbage.yaml:3:" in result.stdout and "[input/unreadable]" in result.stdout
    assert "file is not UTF-8 text" in result.stdout and "no such file or folder" in result.stdout


def test_an_unreadable_file_does_not_hide_the_findings_of_the_others(tmp_path: Path):
    garbage = write(tmp_path, "garbage.yaml", "kind: [\n")
    result = cli("validate", garbage, str(TUTORIAL))
    assert result.returncode == 2
    assert "[pitfall/no-dashboard-port]" in result.stdout
    assert "1 input unreadable or empty, so not checked" in result.stdout


def test_an_empty_file_an_empty_folder_and_no_path_are_refused_with_exit_2(tmp_path: Path):
    empty = write(tmp_path, "empty.yaml", "# nothing yet\n")
    (tmp_path / "folder").mkdir()
    assert cli("validate", empty).returncode == 2
    folder = cli("validate", str(tmp_path / "folder"))
    assert folder.returncode == 2 and "add -R to search sub-folders" in folder.stdout
    nothing = cli("validate")
    assert nothing.returncode == 2 and "error: no PATH to validate" in nothing.stderr


def test_folders_are_read_flat_by_default_and_recursively_with_R(tmp_path: Path):
    write(tmp_path, "top.yaml", CLEAN.read_text())
    write(tmp_path, "nested/below.yaml", WARNS.read_text())
    flat = cli("validate", "--format", "json", str(tmp_path))
    deep = cli("validate", "--format", "json", "-R", str(tmp_path))
    assert [Path(f).name for f in json.loads(flat.stdout)["files"]] == ["top.yaml"]
    assert [Path(f).name for f in json.loads(deep.stdout)["files"]] == ["below.yaml", "top.yaml"]


def test_standard_input_is_read_from_a_dash():
    result = cli("validate", "-", stdin=TUTORIAL.read_text())
    assert result.returncode == 1
    assert "<stdin>:24:19: error:" in result.stdout


def test_json_output_lists_each_finding_with_its_place_rule_and_fix():
    result = cli("validate", "--format", "json", str(TUTORIAL))
    document = json.loads(result.stdout)
    assert document["summary"] == {"errors": 5, "warnings": 5, "notes": 0, "exitCode": 1}
    assert document["kuberayVersion"] == "1.7.0"
    port = next(f for f in document["findings"] if f["rule"] == "pitfall/no-dashboard-port")
    assert (port["line"], port["column"], port["severity"], port["layer"]) == (24, 19, "error", "pitfall")
    assert port["object"] == "RayJob/default/rayjob-sample"
    assert port["path"] == "spec.rayClusterSpec.headGroupSpec.template.spec.containers[0].ports[0]"
    assert port["fix"] == "add 'name: dashboard' to the containerPort 8265 entry"


def test_the_report_goes_to_a_file_with_output(tmp_path: Path):
    result = cli("validate", "--format", "sarif", "-o", str(tmp_path / "out" / "report.sarif"), str(TUTORIAL))
    assert result.returncode == 1 and result.stdout == ""
    assert json.loads((tmp_path / "out" / "report.sarif").read_text())["version"] == "2.1.0"


def test_text_output_is_neither_coloured_nor_wrapped_when_piped():
    result = cli_process("validate", str(TUTORIAL))
    assert "\033[" not in result.stdout
    line = next(x for x in result.stdout.splitlines() if "[pitfall/ignored-runtime-env-key]" in x)
    assert line.endswith("will raise an exception. [pitfall/ignored-runtime-env-key]") and len(line) > 120


def test_an_unknown_release_is_refused_with_exit_2_naming_the_modelled_ones():
    result = cli("validate", "--kuberay-version", "1.4", str(CLEAN))
    assert result.returncode == 2
    assert "kuberay version='1.4' is not simulated" in result.stderr and "use one of: 1.7" in result.stderr


def test_operator_feature_gates_change_the_operator_rules():
    example = RULE_EXAMPLES / "operator/raycluster/suspended-worker-groups/fail.yaml"
    assert cli("validate", str(example)).returncode == 0
    gated = cli("validate", "--feature-gates", "RayJobDeletionPolicy=false", str(example))
    assert gated.returncode == 1 and "[operator/raycluster/suspended-worker-groups]" in gated.stdout
    unknown = cli("validate", "--feature-gates", "NoSuchGate=true", str(example))
    assert unknown.returncode == 2 and "feature gate name='NoSuchGate' is unknown" in unknown.stderr


def test_list_rules_prints_the_catalogue():
    result = cli("validate", "--list-rules")
    assert result.returncode == 0
    assert any(line.startswith("pitfall/no-dashboard-port") and " error " in line
               for line in result.stdout.splitlines())


def test_a_bad_flag_prints_the_subcommand_usage():
    result = cli("validate", "--formt", "json", str(CLEAN))
    assert result.returncode == 2
    assert result.stderr.startswith("usage: rayjob-harness validate")
    assert "unrecognized arguments: --formt" in result.stderr


def test_write_without_convert_is_refused():
    result = cli("validate", "--write", str(CLEAN))
    assert result.returncode == 2 and "--write rewrites files only with --convert" in result.stderr
