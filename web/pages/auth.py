"""登录, 修改密码 (with 获取验证码, ID-3), sign-out, the invitation link, the language switch."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from web import auth
from web.forms import InvitationForm, LanguageForm, LoginForm, PasswordChangeForm
from web.gateway_client import ApiError
from web.i18n import LANGUAGES
from web.messages import apply_to_form, problem_message
from web.security import safe_next

bp = Blueprint("auth", __name__, url_prefix="/portal")


def _after_sign_in(next_path: str | None) -> Response:
    if session.get("must_change_password"):
        return redirect(url_for("auth.password", next=next_path))
    return redirect(next_path or url_for("portal.home"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    next_path = safe_next(form.next.data if request.method == "POST" else request.args.get("next"))
    if request.method == "GET":
        form.next.data = next_path or ""
        if auth.signed_in():
            return _after_sign_in(next_path)
    error = None
    if form.validate_on_submit():
        username = form.username.data.strip()
        try:
            pair = auth.gateway().login(username, form.password.data)
        except ApiError as exc:
            error = problem_message(exc)
            status = 429 if exc.status == 429 else 200
            return render_template("pages/login.html", form=form, error=error), status
        auth.sign_in(pair, username)
        return _after_sign_in(next_path)
    return render_template("pages/login.html", form=form, error=error), (422 if form.errors else 200)


@bp.route("/password", methods=["GET", "POST"])
def password() -> Any:
    if not auth.signed_in():
        return auth.login_redirect()
    form = PasswordChangeForm()
    next_path = safe_next(form.next.data if request.method == "POST" else request.args.get("next"))
    if request.method == "GET":
        form.next.data = next_path or ""
    error = None
    if form.validate_on_submit():
        try:
            pair = auth.gateway().change_password(auth.access_token(), form.old_password.data, form.new_password.data,
                                                  form.sms_code.data)
        except ApiError as exc:
            if exc.status == 401:
                raise auth.SessionEnded from exc
            error = apply_to_form(form, exc)
        else:
            auth.replace_tokens(pair)
            flash(_("Your password has been changed."), "success")
            return redirect(next_path or url_for("portal.home"))
    status = 422 if (form.errors or error) else 200
    return render_template("pages/password.html", form=form, error=error,
                           forced=session.get("must_change_password")), status


@bp.post("/password/code")
def sms_code() -> Any:
    """获取验证码: identity texts a code to the user's phone; with htmx only the status line changes."""
    if not auth.signed_in():
        return auth.login_redirect()
    ok, message = True, ""
    try:
        sent = auth.gateway().request_sms_code(auth.access_token())
        message = _("A verification code was sent to %(phone)s. It is valid for 5 minutes.", phone=sent.get("sent_to") or "")
    except ApiError as exc:
        if exc.status == 401:
            raise auth.SessionEnded from exc
        ok, message = False, problem_message(exc)
    if request.headers.get("HX-Request"):
        return render_template("partials/sms_status.html", ok=ok, message=message)
    flash(message, "success" if ok else "error")
    return redirect(url_for("auth.password", next=safe_next(request.form.get("next"))))


@bp.post("/logout")
def logout() -> Response:
    auth.sign_out()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/activate", methods=["GET", "POST"])
def activate() -> Any:
    """The mailed links: `?token=` (an invitation: set a password) and `?order_no=` (订单激活)."""
    if request.method == "GET" and request.args.get("order_no"):
        return redirect(url_for("orders.order_by_number", order_no=request.args["order_no"][:64]))
    if request.method == "GET" and request.args.get("token"):
        # Out of the address bar (history, logs) at once; the form posts it from the session.
        session["invitation"] = request.args["token"][:512]
        return redirect(url_for("auth.activate"))
    token = session.get("invitation")
    if not token:
        return render_template("pages/invitation.html", form=None, error=_("This activation link is incomplete. Open the link "
                                                                             "from the mail again.")), 400
    form = InvitationForm()
    error = None
    if form.validate_on_submit():
        try:
            account = auth.gateway().accept_invitation(token, form.password.data)
        except ApiError as exc:
            error = apply_to_form(form, exc, {"password": "password"})
            if exc.code == "invitation_invalid":
                session.pop("invitation", None)
        else:
            session.pop("invitation", None)
            return _sign_in_new_account(account.get("username") or "", form.password.data)
    status = 422 if (form.errors or error) else 200
    return render_template("pages/invitation.html", form=form, error=error), status


def _sign_in_new_account(username: str, password: str) -> Response:
    try:
        auth.sign_in(auth.gateway().login(username, password), username)
    except ApiError:
        flash(_("Your account is active. Sign in with your new password."), "success")
        return redirect(url_for("auth.login"))
    flash(_("Your account is active. Welcome!"), "success")
    return _after_sign_in(None)


@bp.post("/language")
def language() -> Response:
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in LANGUAGES:
        session["lang"] = form.lang.data
    return redirect(safe_next(form.next.data) or url_for("portal.home"))
