"""The portal's forms (Flask-WTF: every form carries the CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Regexp

from web.labels import CHANGE_KINDS, DEPLOYMENTS, ERPS

REQUIRED = _l("Required.")


class LoginForm(FlaskForm):
    username = StringField(_l("Account"), validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED), Length(max=128)])
    next = HiddenField()


class PasswordChangeForm(FlaskForm):
    old_password = PasswordField(_l("Current password"), validators=[DataRequired(REQUIRED), Length(max=128)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(REQUIRED), Length(min=10, max=128,
                                 message=_l("At least 10 characters."))])
    confirm_password = PasswordField(_l("Confirm the new password"), validators=[
        DataRequired(REQUIRED), EqualTo("new_password", message=_l("The two passwords differ."))])
    sms_code = StringField(_l("SMS verification code"), validators=[
        DataRequired(REQUIRED), Regexp(r"^\d{4,8}$", message=_l("The code has 6 digits."))])
    next = HiddenField()


class InvitationForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(REQUIRED), Length(min=10, max=128,
                             message=_l("At least 10 characters."))])
    confirm_password = PasswordField(_l("Confirm the new password"), validators=[
        DataRequired(REQUIRED), EqualTo("password", message=_l("The two passwords differ."))])


class LanguageForm(FlaskForm):
    lang = HiddenField()
    next = HiddenField()




class ActivationForm(FlaskForm):
    """订单激活: the operation key from the mail, the ERP and the deployment."""

    operation_key = StringField(_l("Operation key"), validators=[DataRequired(REQUIRED), Length(max=200)])
    erp = RadioField(_l("ERP"), choices=list(ERPS.items()), validators=[InputRequired(_l("Choose the ERP."))])
    deployment = RadioField(_l("Deployment"), choices=list(DEPLOYMENTS.items()), validators=[InputRequired(_l("Choose the deployment."))])


class EnterpriseForm(FlaskForm):
    """新增企业: the enterprise's full name and tax ID."""

    name = StringField(_l("Enterprise name"), validators=[DataRequired(REQUIRED), Length(max=200)])
    tax_id = StringField(_l("Tax ID"), validators=[DataRequired(REQUIRED), Length(max=40)])
    next = HiddenField()


class AllocationForm(FlaskForm):
    """勾选税号分配使用组织: the enterprises that get one seat each."""

    enterprise_ids = SelectMultipleField(_l("Enterprises"), choices=[], validate_choice=False,
                                         validators=[DataRequired(_l("Tick at least one enterprise."))])


class ChangeRequestForm(FlaskForm):
    kind = RadioField(_l("Kind of change"), choices=list(CHANGE_KINDS.items()),
                      validators=[InputRequired(_l("Choose the kind of change."))])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(REQUIRED), Length(max=1000)])
    old_tax_id = StringField(_l("Tax ID to replace (one of your enterprises)"), validators=[Length(max=40)])
    new_tax_id = StringField(_l("New tax ID"), validators=[Length(max=40)])
    new_name = StringField(_l("New enterprise name"), validators=[Length(max=200)])
    tax_id = StringField(_l("Tax ID of the enterprise to move here"), validators=[Length(max=40)])
    target_tenant_id = StringField(_l("Tenant to merge into (its ID)"), validators=[Length(max=64)])


class PaymentOutcomeForm(FlaskForm):
    """The sandbox payer's choice."""

    outcome = RadioField(_l("Outcome"), choices=[("success", _l("Payment succeeds")), ("failure", _l("Payment fails"))],
                         validators=[InputRequired(_l("Choose the outcome."))])
