"""Seed 004, 许可授权: the enterprises' ERP licenses per service group — (A/AA), 许可授权, 取消授权,
同步许可授权, 同步取消授权, 维护产品序列号 — with the 60-day lock and the sync status in words."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web.auth import api, current_user, login_required
from web.forms import LicenseBatchForm, SerialNumbersForm
from web.gateway_client import ApiError
from web.labels import LICENSE_RESULTS, label
from web.messages import apply_to_form, problem_message

bp = Blueprint("licensing", __name__, url_prefix="/portal/licensing")

LIC = "/licensing/v1"
GROUPS = ("invoice_issuing", "invoice_receiving")
STATUSES = ("unauthorized", "authorized", "failed")
# the page's buttons -> (API path, body extra)
ACTIONS = {
    "authorize": ("/authorizations", {}),
    "cancel": ("/cancellations", {}),
    "sync_authorize": ("/syncs", {"action": "authorize"}),
    "sync_cancel": ("/syncs", {"action": "cancel"}),
}


def _page() -> int:
    page = request.args.get("page", "1")
    return max(1, min(int(page), 100_000)) if page.isdigit() else 1


@bp.route("", methods=["GET", "POST"])
@login_required
def index() -> Any:
    group = request.args.get("group") if request.args.get("group") in GROUPS else GROUPS[0]
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    q = (request.args.get("q") or "").strip()[:100]
    form = LicenseBatchForm()
    error, results = None, None
    if form.validate_on_submit() and _action_valid(form):
        path, extra = ACTIONS[form.action.data]
        try:
            answer = api().post(LIC + path, json={"service_group": group, "tax_ids": form.tax_ids.data, **extra})
        except ApiError as exc:
            error = apply_to_form(form, exc)
        else:
            results = answer.get("results") or []
            form.tax_ids.data, form.confirm.data = [], False
            done = sum(1 for r in results if r.get("ok"))
            flash(_("%(done)s of %(count)s enterprises done; the others are listed with the reason.", done=done, count=len(results))
                  if done < len(results) else _("Done for %(count)s enterprises.", count=len(results)),
                  "success" if done == len(results) else "error")
    groups = api().get(f"{LIC}/service-groups").get("items") or []
    params = {"service_group": group, "page": _page(), "page_size": 20, **({"authorization_status": status} if status else {}),
              **({"q": q} if q else {})}
    licenses = api().get(f"{LIC}/enterprises", params=params)
    people = _people(licenses.get("items") or [])
    licenses["licensed"], rows = _licensed_and_rows(licenses)
    for item in groups:
        item["licensed"] = item.get("licensed", item.get("total"))
    listing = {"total": rows, "page": licenses.get("page") or 1, "page_size": licenses.get("page_size") or 20}
    status_code = 422 if (form.errors or error) else 200
    return render_template("pages/licensing.html", groups=groups, group=group, status=status, q=q, licenses=licenses,
                           listing=listing, people=people, form=form, error=error, results=results,
                           result_label=lambda code: label(LICENSE_RESULTS, code), statuses=STATUSES), status_code


def _licensed_and_rows(page: dict[str, Any]) -> tuple[int, int]:
    """AA of (A/AA) and the rows matching the filters. Licensing names them `licensed` and `total`; before
    issue 19 it named them `total` and `items_total`."""
    if "licensed" in page:
        return int(page.get("licensed") or 0), int(page.get("total") or 0)
    return int(page.get("total") or 0), int(page.get("items_total") or 0)


def _people(items: list[dict[str, Any]]) -> dict[str, str]:
    """授权人 by name, for licenses that carry only the authorizer's id (`authorized_by_name` came with issue 19)."""
    if not any(item.get("authorized_by") and not item.get("authorized_by_name") for item in items):
        return {}
    try:
        admins = api().get(f"/identity/v1/tenants/{quote(str(current_user().get('org_id')), safe='')}").get("admins") or []
    except ApiError:
        return {}
    return {a["id"]: a.get("name") or a.get("username") for a in admins if a.get("id")}


def _action_valid(form: LicenseBatchForm) -> bool:
    if form.action.data not in ACTIONS:
        form.tax_ids.errors = [*form.tax_ids.errors, _("Choose what to do with the ticked enterprises.")]
        return False
    if form.action.data in ("authorize", "cancel") and not form.confirm.data:
        form.confirm.errors = [*form.confirm.errors, _("Tick to confirm that the tax IDs are right: a cancelled tax ID cannot be "
                                                       "authorized again for 60 days.")]
        return False
    return True


@bp.route("/serial-numbers", methods=["GET", "POST"])
@login_required
def serial_numbers() -> Any:
    """维护产品序列号: from the product confirmation mail; needed unless the license is formal outside an IDC."""
    form = SerialNumbersForm()
    error, missing = None, False
    if request.method == "GET":
        try:
            current = api().get(f"{LIC}/serial-numbers")
        except ApiError as exc:
            if exc.status != 404:
                raise
            missing = True
        else:
            form.invoice_issuing.data, form.invoice_receiving.data = current.get("invoice_issuing"), current.get("invoice_receiving")
    if form.validate_on_submit():
        body = {name: (getattr(form, name).data or "").strip() or None for name in GROUPS}
        try:
            api().put(f"{LIC}/serial-numbers", json=body)
        except ApiError as exc:
            error = problem_message(exc) if exc.code == "erp_instance_not_found" else apply_to_form(form, exc)
        else:
            flash(_("The product serial numbers are saved."), "success")
            return redirect(url_for("licensing.index"))
    status = 422 if (form.errors or error) else 200
    return render_template("pages/serial_numbers.html", form=form, error=error, missing=missing), status
