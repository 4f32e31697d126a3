"""The scheduled report: clean inputs, notebooks through papermill, HTML, PDF, results.json.

``run_report`` is the engine of ``marketlib report``: it iterates the section registry
(``marketlib.sections.registry``) for notebooks, parameters, skips and the merge.

- ``inputs``: the params' input files, fetched or mirrored public data, the clean step;
- ``notebooks``: papermill runs on two processes as their needs allow;
- ``outputs``: results.json (merged, validated), the run index, the summary's PDF, README;
- ``run``: the run itself, staged and published whole (or kept as ``<as_of>.failed/``).

Exit status: 0 all notebooks ran; 1 a notebook failed or timed out (named in the message;
notebooks that depend on it are not run); 2 unusable input or parameters.
"""

from __future__ import annotations

from marketlib.report.folder import publish_run, recover_publish, report_lock
from marketlib.report.inputs import (
    ACTIVITY_DATASETS,
    check_inputs,
    input_key,
    input_path,
    prepare_data,
    shown_path,
    skipped_sections,
)
from marketlib.report.notebooks import (
    NOTEBOOKS,
    Step,
    execute_notebook,
    kernel_start_failure,
    notebook_parameters,
    run_notebooks,
    selected_notebooks,
)
from marketlib.report.outputs import (
    headline_markdown,
    merge_results,
    page_title,
    update_readme_section,
    validate_results,
    write_run_index,
)
from marketlib.report.run import (
    EXIT_FAILED,
    EXIT_INPUT,
    EXIT_OK,
    STALE_STAGING_SECONDS,
    check_sections,
    load_params,
    output_folder,
    refuse_mixing,
    run_report,
    sweep_staging,
    with_overrides,
)

__all__ = [
    "ACTIVITY_DATASETS",
    "EXIT_FAILED",
    "EXIT_INPUT",
    "EXIT_OK",
    "NOTEBOOKS",
    "STALE_STAGING_SECONDS",
    "Step",
    "check_inputs",
    "check_sections",
    "execute_notebook",
    "headline_markdown",
    "input_key",
    "input_path",
    "kernel_start_failure",
    "load_params",
    "merge_results",
    "notebook_parameters",
    "output_folder",
    "page_title",
    "prepare_data",
    "publish_run",
    "recover_publish",
    "refuse_mixing",
    "report_lock",
    "run_notebooks",
    "run_report",
    "selected_notebooks",
    "shown_path",
    "skipped_sections",
    "sweep_staging",
    "update_readme_section",
    "validate_results",
    "with_overrides",
    "write_run_index",
]
