"""Policies as tables, their versions and a diff, and the policy simulation."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request

from tongchou.access.sessions import Current
from tongchou.codes import Insutype
from tongchou.web import policy_view, queries, simulation
from tongchou.web.auth import checked_form, console_of, is_htmx, render, require, store_for
from tongchou.web.charts import as_json
from tongchou.web.forms import Reader, FormErrors

router = APIRouter()


@router.get("/policies")
def policies(request: Request, current: Current = Depends(require("policy.view"))):
    registry = console_of(request).registry
    listed = sorted(registry.policies.values(), key=lambda p: (p.example, p.region, p.id))
    return render(request, current, "policies.html", policies=listed, versions=policy_view.all_versions(registry))


@router.get("/policies/diff")
def policy_diff(request: Request, left: str = "", right: str = "", current: Current = Depends(require("policy.view"))):
    registry = console_of(request).registry
    versions = policy_view.all_versions(registry)
    a, b = policy_view.find_version(registry, left), policy_view.find_version(registry, right)
    error = None
    if (left or right) and (a is None or b is None):
        error = "请选择要比较的两个政策版本。"
    places = store_for(request, current).read(queries.place_names)
    diff = policy_view.diff_versions(a, b, registry, places) if a and b else None
    return render(request, current, "policy_diff.html", versions=versions, left=a, right=b, diff=diff, error=error)


@router.get("/policies/{policy_id}")
def policy(request: Request, policy_id: str, version: int | None = None,
           current: Current = Depends(require("policy.view"))):
    registry = console_of(request).registry
    found = registry.policies.get(policy_id)
    if found is None:
        raise HTTPException(404)
    chosen = next((v for v in found.versions if v.version == version), None) or \
        max(found.versions, key=lambda v: v.version)
    ref = policy_view.VersionRef(found, chosen)
    places = store_for(request, current).read(queries.place_names)
    return render(request, current, "policy.html", policy=found, ref=ref,
                  tables=policy_view.version_tables(ref, registry, places),
                  versions=sorted(found.versions, key=lambda v: v.version))


SCHEMES = Insutype.options(Insutype.RESIDENT, Insutype.EMPLOYEE)


def _simulation_page(request, current, values, errors, result=None, status_code=200, template=None):
    registry = console_of(request).registry
    scheme = values.get("scheme") if values.get("scheme") in SCHEMES else "390"
    options = dict(simulation.base_policies(registry, scheme))
    template = template or ("_simulation_result.html" if is_htmx(request) else "simulation.html")
    charts = {k: as_json(v) for k, v in result.charts.items()} if result else {}
    return render(request, current, template, status_code, values=values, errors=errors, result=result,
                  options=options, schemes=SCHEMES, charts=charts, max_claims=simulation.MAX_CLAIMS,
                  scheme_label=SCHEMES[scheme])


@router.get("/simulation")
def simulation_form(request: Request, current: Current = Depends(require("simulation.run"))):
    console = console_of(request)
    return _simulation_page(request, current, {"scheme": Insutype.RESIDENT.value, "year": str(console.today().year)}, {})


@router.get("/simulation/policies")
def simulation_policies(request: Request, scheme: str = "390", current: Current = Depends(require("simulation.run"))):
    """The two policy lists for the chosen scheme (the form swaps them in when the scheme changes)."""
    return _simulation_page(request, current, {"scheme": scheme}, {}, template="_simulation_policies.html")


@router.post("/simulation")
async def simulation_run(request: Request, current: Current = Depends(require("simulation.run"))):
    form = await checked_form(request, current)
    console = console_of(request)
    r = Reader(form)
    scheme = r.choice("scheme", "险种", SCHEMES)
    year = r.year("year", "测算年度")
    baseline = r.text("baseline", "现行政策")
    candidate = r.text("candidate", "拟调整政策")
    try:
        r.done()
        result = simulation.simulate(console.store, console.registry, scheme, year, baseline, candidate)
    except FormErrors as exc:
        return _simulation_page(request, current, form, exc.errors, status_code=422)
    except simulation.SimulationError as exc:
        return _simulation_page(request, current, form, {exc.field: str(exc)}, status_code=422)
    return _simulation_page(request, current, form, {}, result)
