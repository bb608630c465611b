# %% [markdown]
# # Pause
#
# A second small notebook for the render tests; it waits ``pause`` seconds (after writing
# ``started``) so that a test can interrupt the render while it runs.

# %% tags=["parameters"]
# ruff: noqa: E402
data = ""
output_dir = "."
seed = 1
suppression_threshold = 5
endpoint_rules = ""
rendered_at = ""
pause = 0.0

# %%
import time
from pathlib import Path

import pandas as pd

Path(output_dir, "started").write_text("", encoding="utf-8")
time.sleep(pause)

# %%
patients = pd.read_csv(Path(data) / "patients.csv")
sex = patients["sex"].value_counts().sort_index().rename_axis("sex").reset_index(name="n")
Path(output_dir, "tables").mkdir(exist_ok=True)
sex.to_csv(Path(output_dir, "tables", "sex.csv"), index=False)
print(sex.to_string(index=False))
