# %% [markdown]
# # Counts
#
# A small report notebook for the render tests: counts and a Ki-67 summary of the cohort
# and one figure.  It reads the CSV files with pandas and imports netstats only for
# ``per_patient`` (one table per patient, named from the patient id), so its kernel
# starts quickly.

# %% tags=["parameters"]
# ruff: noqa: E402
data = ""
output_dir = "."
seed = 1
suppression_threshold = 5
endpoint_rules = ""
rendered_at = ""
label = ""
per_patient = False

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

tables = {
    name: pd.read_csv(Path(data) / f"{name}.csv", dtype={"patient_id": str})
    for name in ("patients", "pathology", "therapy_lines", "imaging")
}
Path(output_dir, "label.txt").write_text(label, encoding="utf-8")
print(f"label: {label!r} ({type(label).__name__})")

# %%
Path(output_dir, "tables").mkdir(exist_ok=True)
counts = pd.DataFrame(
    {
        "table": list(tables),
        "n_rows": [len(t) for t in tables.values()],
        "n_patients": [t["patient_id"].nunique() for t in tables.values()],
    }
)
counts.to_csv(Path(output_dir, "tables", "tables.csv"), index=False)
rng = np.random.default_rng(seed)
ki67 = tables["pathology"]["ki67_percent"].to_numpy(dtype=float)
boot = [rng.choice(ki67, size=len(ki67)).mean() for _ in range(200)]
summary = pd.DataFrame({"mean_ki67": [ki67.mean()], "boot_sd": [np.std(boot, ddof=1)]})
summary.to_csv(Path(output_dir, "tables", "ki67.csv"), index=False)
print(summary.to_string(index=False))

# %%
Path(output_dir, "figures").mkdir(exist_ok=True)
fig, ax = plt.subplots(figsize=(3, 2))
ax.hist(ki67, bins=5)
ax.set_xlabel("Ki-67 (%)")
fig.savefig(Path(output_dir, "figures", "ki67_hist.png"), dpi=72, metadata={"Software": None})
plt.close(fig)

# %%
if per_patient:
    from netstats import report

    out = report.ReportOutputs(output_dir, notebook="Counts")
    for pid, rows in tables["pathology"].groupby("patient_id"):
        out.table(report.output_name("patient", pid), rows[["site"]], caption=str(pid))
