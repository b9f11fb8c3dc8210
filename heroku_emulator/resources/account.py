"""account: the emulated user's own account (one account, owner@example.com)."""

from ..errors import not_found
from ..shared import ACCOUNT_EMAIL, ACCOUNT_ID, EPOCH
from . import handles


def render_account(call):
    return {
        "allow_tracking": False,
        "beta": False,
        "created_at": EPOCH,
        "email": ACCOUNT_EMAIL,
        "federated": False,
        "id": ACCOUNT_ID,
        "identity_provider": None,
        "last_login": call.iso(),
        "name": "Emulated Owner",
        "sms_number": None,
        "suspended_at": None,
        "delinquent_at": None,
        "two_factor_authentication": True,
        "updated_at": EPOCH,
        "verified": True,
        "country_of_residence": "United States",
        "default_organization": None,
        "default_team": None,
    }


def check_account(identity):
    # Heroku matches an email whatever its case (Owner@Example.com finds owner@example.com).
    if identity not in ("~", ACCOUNT_ID) and identity.lower() != ACCOUNT_EMAIL.lower():
        raise not_found("account")


@handles("account", "Info")
def account_info(call):
    return render_account(call)


@handles("account", "Info By User")
def account_info_by_user(call):
    check_account(call.params[0])
    return render_account(call)
