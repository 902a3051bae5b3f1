"""Units of the generator: the vectorised split mirrors the engine's, the command line runs."""

from __future__ import annotations

import json
from decimal import Decimal

import numpy as np
import typer
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from tongchou.generate.amounts import split_lines
from tongchou.generate.catalogue import build_catalogue
from tongchou.generate.cli import generate_command
from tongchou.generate.util import add_months_vec, age_on, apply_rate_vec, day_number
from tongchou.money import apply_rate
from tongchou.settlement.model import Item
from tongchou.settlement.split import split_item

CATALOGUE = build_catalogue()


@given(st.integers(0, len(CATALOGUE) - 1), st.integers(1, 200), st.integers(0, 60))
def test_vectorised_split_equals_the_engine_split(index, qty, over_percent):
    price = int(CATALOGUE.price[index])
    cap = int(CATALOGUE.price_cap[index])
    if cap >= 0:
        price = cap + cap * over_percent // 100
    lines = {"item": np.array([index]), "qty": np.array([qty]), "price": np.array([price]),
             "amount": np.array([qty * price])}
    ours = {k: int(v[0]) for k, v in split_lines(lines, CATALOGUE).items()}
    prop = CATALOGUE.selfpay_prop[index]
    engine = split_item(Item(
        code=CATALOGUE.code[index], category=str(CATALOGUE.category[index]), amount=qty * price, qty=Decimal(qty),
        price=Decimal(price) / 100, price_cap=Decimal(cap) / 100 if cap >= 0 else None,
        selfpay_prop=Decimal(prop) if prop else None, essential_drug=bool(CATALOGUE.essential[index])))
    assert ours["fulamt_ownpay_amt"] == engine.fulamt_ownpay_amt
    assert ours["overlmt_selfpay"] == engine.overlmt_selfpay
    assert ours["preselfpay_amt"] == engine.preselfpay_amt
    assert ours["inscp_scp_amt"] == engine.inscp_scp_amt


@given(st.integers(0, 10**10), st.sampled_from(["0.05", "0.1", "0.15", "0.2", "0.3", "0.028", "0.02"]))
def test_apply_rate_vec_equals_money_apply_rate(fen, rate):
    assert int(apply_rate_vec(np.array([fen]), rate)[0]) == apply_rate(fen, Decimal(rate))


def test_dates():
    import datetime as dt

    day = np.array([day_number(dt.date(2018, 1, 31)), day_number(dt.date(2018, 11, 30))])
    months = [dt.date(1970, 1, 1) + dt.timedelta(days=int(d)) for d in add_months_vec(day, 3)]
    assert months == [dt.date(2018, 4, 30), dt.date(2019, 2, 28)]
    birth = np.array([day_number(dt.date(2000, 6, 15))])
    assert age_on(birth, np.array([day_number(dt.date(2018, 6, 14))]))[0] == 17
    assert age_on(birth, np.array([day_number(dt.date(2018, 6, 15))]))[0] == 18


def test_command_line(tmp_path):
    app = typer.Typer()
    app.command("generate")(generate_command)
    app.command("noop")(lambda: None)
    result = CliRunner().invoke(app, ["generate", "--out", str(tmp_path), "--insured", "800", "--seed", "3",
                                      "--no-settle"])
    assert result.exit_code == 0, result.output
    truth = json.loads((tmp_path / "planted.json").read_text(encoding="utf-8"))
    assert truth["insured"] == 800
    import pyarrow.parquet as pq

    claims = pq.read_table(tmp_path / "claims.parquet")
    assert claims.column("hifp_pay").null_count == claims.num_rows
