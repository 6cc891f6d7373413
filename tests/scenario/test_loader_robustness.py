"""Whatever a scenario file holds, loading it either works or raises an InputError: never a traceback."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.errors import InputError
from harness.scenario import load_text
from harness.scenario.expectations import EXPECT_KEYS
from harness.scenario.loader import SCENARIO_KEYS, step_parsers

DATA = Path(__file__).parent / "data"
WORDS = sorted({*SCENARIO_KEYS, *EXPECT_KEYS, *step_parsers(), "until", "timeout", "merge", "file", "path",
                "source", "contains", "for", "exact", "never", "$regex", "$by_key", "$items", "default", "jobs"})
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False, width=16),
                    st.sampled_from(["5m", "soon", "${x}", "${", "a.status.jobId", "manifests/rayjob.yaml",
                                     "Complete", "[", "(", ""]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                        st.dictionaries(st.sampled_from(WORDS), inner, max_size=4)),
                      max_leaves=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(st.dictionaries(st.sampled_from(sorted(step_parsers())), values, min_size=1, max_size=2),
                      max_size=4),
       extra=st.dictionaries(st.sampled_from(WORDS), values, max_size=3))
def test_loading_arbitrary_documents_never_raises_anything_but_input_errors(
        steps: list[dict[str, object]], extra: dict[str, object]) -> None:
    document = {**extra, "scenario": "fuzz", "steps": steps}
    text = yaml.safe_dump(document, sort_keys=False)
    try:
        load_text(text, "fuzz.yaml", base_dir=DATA)
    except InputError as exc:
        assert exc.pos is not None and exc.hint
