"""The sign-in and password forms (Flask-WTF: every form carries the CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

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


class SmsCodeForm(FlaskForm):
    """Only the CSRF token: asks identity to text a code to the signed-in user's phone."""


class InvitationForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(REQUIRED), Length(min=10, max=128,
                             message=_l("At least 10 characters."))])
    confirm_password = PasswordField(_l("Confirm the new password"), validators=[
        DataRequired(REQUIRED), EqualTo("password", message=_l("The two passwords differ."))])


class LanguageForm(FlaskForm):
    lang = HiddenField()
    next = HiddenField()


class SignOutForm(FlaskForm):
    """Only the CSRF token: signing out is a POST."""
