"""The forms of the billing pages (seed 002, 充值中心 and the staff's back office)."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DecimalField, HiddenField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from web.forms import REQUIRED

CURRENCIES = [("CNY", "CNY"), ("USD", "USD")]
MAX_AMOUNT_MAJOR = Decimal("100000000")  # the API's MAX_AMOUNT is 10^10 minor units


def minor_units(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def _amount(form: FlaskForm, field: DecimalField) -> None:
    """From 0.01 to 100,000,000 with at most two decimals; what did not parse was already refused in words."""
    if field.data is None:
        return
    try:
        if field.data * 100 != (field.data * 100).to_integral_value():
            raise ValidationError(_l("At most two decimals (fen / cents)."))
    except InvalidOperation as exc:
        raise ValidationError(_l("Enter an amount such as 100.00.")) from exc
    if not Decimal("0.01") <= field.data <= MAX_AMOUNT_MAJOR:
        raise ValidationError(_l("From 0.01 to 100,000,000."))


AMOUNT_RULES = [InputRequired(_l("Enter an amount such as 100.00.")), _amount]


class AmountField(DecimalField):
    """An amount in yuan / dollars; what is not a number is refused in the page's words."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(str(_l("Enter an amount such as 100.00."))) from exc


class MonthsField(IntegerField):
    """A number of months; what is not a whole number is refused in the page's words."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(str(_l("From 1 to 120 months."))) from exc


class RenewalForm(FlaskForm):
    """批量延期时长 for the ticked devices, then 一键续费."""

    device_ids = SelectMultipleField(_l("Devices"), choices=[], validate_choice=False,
                                     validators=[DataRequired(_l("Tick at least one device."))])
    months = RadioField(_l("Extend by"), choices=[("6", _l("6 months")), ("12", _l("12 months")), ("24", _l("24 months")),
                                                  ("custom", _l("Another number of months"))],
                        validators=[InputRequired(_l("Choose how long to extend."))])
    custom_months = MonthsField(_l("Months (1-120)"), validators=[Optional(), NumberRange(1, 120, _l("From 1 to 120 months."))])

    def chosen_months(self) -> int | None:
        if self.months.data == "custom":
            if self.custom_months.data is None:
                self.custom_months.errors = [*self.custom_months.errors, _l("Enter the number of months.")]
                return None
            return int(self.custom_months.data)
        return int(self.months.data)


class DeviceBatchForm(FlaskForm):
    """停用 / 启用 for the ticked devices."""

    device_ids = SelectMultipleField(_l("Devices"), choices=[], validate_choice=False,
                                     validators=[DataRequired(_l("Tick at least one device."))])
    action = RadioField(_l("Action"), choices=[("deactivate", _l("Deactivate")), ("reactivate", _l("Reactivate"))],
                        validators=[InputRequired(_l("Choose deactivate or reactivate."))])


class ConfirmForm(FlaskForm):
    """The second confirmation of a renewal order."""


class PayForm(FlaskForm):
    method = RadioField(_l("Pay with"), choices=[], validators=[InputRequired(_l("Choose how to pay."))])
    idempotency_key = HiddenField()


class TopupForm(FlaskForm):
    """Online top-up of the balance."""

    amount = AmountField(_l("Amount"), places=None, validators=AMOUNT_RULES)
    currency = RadioField(_l("Currency"), choices=CURRENCIES, default="CNY", validators=[InputRequired(REQUIRED)])
    method = RadioField(_l("Pay with"), choices=[], validators=[InputRequired(_l("Choose how to pay."))])
    idempotency_key = HiddenField()


class OfflineTopupForm(FlaskForm):
    """Sales' offline top-up request (线下充值): the company, the payer, the amount and the bank reference."""

    company_id = SelectField(_l("Company"), choices=[], validate_choice=False, validators=[DataRequired(REQUIRED), Length(max=64)])
    payer = StringField(_l("Payer (as on the bank transfer)"), validators=[DataRequired(REQUIRED), Length(max=200)])
    currency = RadioField(_l("Currency"), choices=CURRENCIES, default="CNY", validators=[InputRequired(REQUIRED)])
    amount = AmountField(_l("Amount"), places=None, validators=AMOUNT_RULES)
    reference = StringField(_l("Bank reference"), validators=[DataRequired(REQUIRED), Length(max=80)])


class ReviewForm(FlaskForm):
    """Finance's review: 通过 / 退回 / 拒绝, naming the version looked at."""

    decision = RadioField(_l("Decision"), choices=[("approve", _l("Approve")), ("return", _l("Return for changes")),
                                                   ("decline", _l("Decline"))],
                          validators=[InputRequired(_l("Choose a decision."))])
    comment = TextAreaField(_l("Comment"), validators=[Length(max=500)])
    version = HiddenField(validators=[DataRequired(REQUIRED)])
    idempotency_key = HiddenField()

    def validate_comment(self, field: TextAreaField) -> None:
        if self.decision.data in ("return", "decline") and not (field.data or "").strip():
            raise ValidationError(_l("Say why: a returned or declined request needs a comment."))


class ExpiryImportForm(FlaskForm):
    """批量导入到期日: the filled template (XLSX)."""

    file = FileField(_l("Filled template (XLSX)"), validators=[FileRequired(_l("Choose the filled template.")),
                                                             FileAllowed(["xlsx"], _l("Upload the template as an .xlsx file."))])
