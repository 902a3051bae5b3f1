"""The main diagnosis and main procedure of each generated admission, for DIP (按病种分值付费, seed 001).

An admission takes a disease group of the example DIP catalogue (policies/clearing/example-city.yaml) whose
standard cost is within a factor of two of the admission's own cost, at random among those, so that DIP scores
it in its group as an ordinary case; one in ten, and any admission whose cost fits no group, gets a diagnosis
outside the catalogue (R69 诊断不明确) and is scored in the catch-all group. Outpatient claims carry no codes.
The codes are drawn from a stream of their own, so the rest of the region is the same with or without them.
"""

from __future__ import annotations

import numpy as np

from tongchou.clearing.rules import DipGroup
from tongchou.generate.util import stream

INPATIENT = 21
UNGROUPED = ("R69", "")
UNGROUPED_SHARE = 0.1


def main_codes(seed: int, med_type: np.ndarray, medfee: np.ndarray, groups: list[DipGroup]
               ) -> tuple[list[tuple[str, str]], np.ndarray]:
    """The distinct (diagnosis, procedure) pairs, and per claim the index of its pair (-1: none)."""
    listed = [g for g in groups if g.diag_code != "*"]
    pairs = [(g.diag_code, g.oprn_code) for g in listed] + [UNGROUPED]
    costs = np.array([g.standard_cost for g in listed], dtype=np.int64)
    rng = stream(seed, "dip-codes")
    index = np.full(len(med_type), -1, dtype=np.int64)
    admissions = np.flatnonzero(med_type == INPATIENT)
    draws = rng.random(len(admissions))
    for claim, draw in zip(admissions, draws):
        fits = np.flatnonzero((costs * 2 >= medfee[claim]) & (costs <= medfee[claim] * 2))
        if len(fits) == 0 or draw < UNGROUPED_SHARE:
            index[claim] = len(pairs) - 1
        else:
            index[claim] = fits[int((draw - UNGROUPED_SHARE) / (1 - UNGROUPED_SHARE) * len(fits))]
    return pairs, index
