"""Real benchmarks read from their published formats (docs/DATASETS.md).

Each module reads one format and declares its tasks; data is looked for under
`$SEABENCH_DATA_DIR/<dataset>/` (default: the user data dir, beside the cache). Listing tasks touches no data
and imports no heavy library: `Task.data_status()` checks a few paths and returns the command or
folder that provides missing data, and running a task whose data is absent raises a UserError
with the same hint. pyarrow/datasets are imported only when a parquet or saved dataset is read.
"""

from __future__ import annotations

from seabench import Task


def tasks() -> list[Task]:
    from seabench.tasks.datasets import audiobench, commonvoice, covost2, fleurs, gigaspeech2, mmau

    return [t for module in (fleurs, commonvoice, gigaspeech2, audiobench, covost2, mmau) for t in module.tasks()]
