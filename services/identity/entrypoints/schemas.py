"""Request and response schemas of the identity API (bounded, so bad input is a 422, never a 500)."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from services.identity.domain.organisations import ACTIVE, DISABLED, KINDS, ROLES_BY_KIND
from services.identity.domain.sms_codes import PURPOSES
from shared.web import PageArgs

ALL_ROLES = sorted({role for roles in ROLES_BY_KIND.values() for role in roles})
LANGUAGES = ("zh-CN", "en")
USER_STATUSES = ("invited", "active", "disabled")


def Name(**kw: Any) -> fields.Field:  # noqa: N802 - reads like a field class
    return fields.String(validate=validate.Length(min=1, max=200), **kw)


def Email(**kw: Any) -> fields.Field:  # noqa: N802
    return fields.Email(validate=validate.Length(max=254), **kw)


def Phone(**kw: Any) -> fields.Field:  # noqa: N802
    return fields.String(validate=validate.Regexp(r"^\+?[0-9][0-9 -]{4,30}$", error="not a phone number"), **kw)


def Id(**kw: Any) -> fields.Field:  # noqa: N802
    return fields.String(validate=validate.Length(min=1, max=64), **kw)


def Secret(**kw: Any) -> fields.Field:  # noqa: N802
    return fields.String(validate=validate.Length(min=1, max=256), **kw)


def Language(**kw: Any) -> fields.Field:  # noqa: N802
    return fields.String(validate=validate.OneOf(LANGUAGES), allow_none=True, **kw)


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = Secret(required=True)


class TokenPairSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    must_change_password = fields.Boolean()


class RefreshTokenSchema(Schema):
    refresh_token = Secret(required=True)


class SmsCodeRequestSchema(Schema):
    purpose = fields.String(required=True, validate=validate.OneOf(PURPOSES))


class SmsCodeSentSchema(Schema):
    sent_to = fields.String(metadata={"description": "the phone number, masked"})
    expires_at = fields.String()


class PasswordChangeSchema(Schema):
    old_password = Secret(required=True)
    new_password = Secret(required=True)
    sms_code = fields.String(required=True, validate=validate.Length(min=1, max=12))


class UserSchema(Schema):
    id = fields.String()
    org_id = fields.String()
    username = fields.String()
    email = fields.String()
    phone = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    language = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    status = fields.String(metadata={"description": "invited, active or disabled"})
    must_change_password = fields.Boolean()
    created_at = fields.String()
    last_login_at = fields.String(allow_none=True)


class UserCreateSchema(Schema):
    org_id = Id(required=True)
    email = Email(required=True)
    phone = Phone(load_default=None, allow_none=True)
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    roles = fields.List(fields.String(validate=validate.OneOf(ALL_ROLES)), required=True, validate=validate.Length(min=1, max=5))
    language = Language(load_default=None)


class UserUpdateSchema(Schema):
    name = fields.String(allow_none=True, validate=validate.Length(max=100))
    phone = Phone(allow_none=True)
    email = Email(metadata={"description": "contact address; the username stays as created"})
    language = Language()


class UsersQuerySchema(PageArgs):
    org_id = Id()
    status = fields.String(validate=validate.OneOf(USER_STATUSES))
    role = fields.String(validate=validate.OneOf(ALL_ROLES))
    q = fields.String(validate=validate.Length(max=100))


class InvitationAcceptSchema(Schema):
    token = Secret(required=True)
    password = Secret(required=True)


class ActivatedUserSchema(Schema):
    user_id = fields.String()
    username = fields.String()
    org_id = fields.String()


class AdminTransferSchema(Schema):
    user_id = Id(required=True)


class OrganisationSchema(Schema):
    id = fields.String()
    kind = fields.String()
    name = fields.String()
    parent_id = fields.String(allow_none=True)
    status = fields.String()
    contact_email = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    external_ref = fields.String(allow_none=True)
    created_at = fields.String()
    updated_at = fields.String()


class OrganisationCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    name = Name(required=True)
    parent_id = Id(load_default=None, allow_none=True)
    contact_email = Email(load_default=None, allow_none=True)
    contact_phone = Phone(load_default=None, allow_none=True)
    external_ref = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200))


class OrganisationUpdateSchema(Schema):
    name = Name()
    contact_email = Email(allow_none=True)
    contact_phone = Phone(allow_none=True)
    status = fields.String(validate=validate.OneOf((ACTIVE, DISABLED)))


class OrganisationsQuerySchema(PageArgs):
    kind = fields.String(validate=validate.OneOf(KINDS))
    parent_id = Id()
    q = fields.String(validate=validate.Length(max=100))


class TenantCreateSchema(Schema):
    name = Name(required=True)
    admin_email = Email(required=True)
    admin_phone = Phone(required=True)
    admin_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    contact_email = Email(load_default=None, allow_none=True)
    contact_phone = Phone(load_default=None, allow_none=True)
    language = Language(load_default=None)


class TenantsQuerySchema(PageArgs):
    q = fields.String(validate=validate.Length(min=1, max=100),
                      metadata={"description": "part of the name, the contact e-mail or the contact phone (any case)"})
    status = fields.String(validate=validate.OneOf((ACTIVE, DISABLED)))


class TenantAdminSchema(UserSchema):
    enabled = fields.Boolean(metadata={"description": "false once disabled (status `disabled`); invited admins are enabled"})


class TenantAdminRefSchema(Schema):
    id = fields.String()
    username = fields.String()


class TenantCreatedSchema(Schema):
    id = fields.String()
    name = fields.String()
    admin = fields.Nested(TenantAdminRefSchema)


class TenantSchema(Schema):
    id = fields.String()
    name = fields.String()
    contact_email = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    status = fields.String()
    created_at = fields.String()
    admins = fields.List(fields.Nested(TenantAdminSchema))


class AdminUpdateSchema(Schema):
    phone = Phone(allow_none=True)
    email = Email()
    name = fields.String(allow_none=True, validate=validate.Length(max=100))


class ApiClientSchema(Schema):
    client_id = fields.String()
    tenant_id = fields.String()
    enterprise_id = fields.String()
    tax_id = fields.String()
    enterprise_name = fields.String(allow_none=True)
    status = fields.String()
    issued_at = fields.String()
    secret_rotated_at = fields.String(allow_none=True)
    revealed = fields.Boolean()
    revealed_at = fields.String(allow_none=True)


class ApiClientRevealSchema(Schema):
    client_id = fields.String()
    client_secret = fields.String()
    encrypt_key = fields.String()
    tax_id = fields.String()


class ApiClientsQuerySchema(PageArgs):
    tenant_id = Id(metadata={"description": "platform staff only; others see their own tenant"})
    tax_id = fields.String(validate=validate.Length(max=32))


class ClientCredentialsSchema(Schema):
    grant_type = fields.String(required=True, validate=validate.Length(max=64))
    client_id = Id(required=True)
    client_secret = Secret(required=True)


class ClientTokenSchema(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()


class JwksSchema(Schema):
    keys = fields.List(fields.Dict())


class RotatedKeySchema(Schema):
    kid = fields.String()
    activates_at = fields.String()


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.String()
    actor_id = fields.String(allow_none=True)
    actor_org_id = fields.String(allow_none=True)
    action = fields.String()
    target_type = fields.String()
    target_id = fields.String(allow_none=True)
    detail = fields.Dict(allow_none=True)
    request_id = fields.String(allow_none=True)


class AuditQuerySchema(PageArgs):
    actor_id = Id()
    action = fields.String(validate=validate.Length(max=120))
    target_type = fields.String(validate=validate.Length(max=60))
    target_id = fields.String(validate=validate.Length(max=120))


def page_schema(item: type[Schema]) -> type[Schema]:
    return Schema.from_dict(
        {"items": fields.List(fields.Nested(item)), "total": fields.Integer(), "page": fields.Integer(), "page_size": fields.Integer()},
        name=f"{item.__name__.removesuffix('Schema')}Page",
    )
