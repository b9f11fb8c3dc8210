"""rate-limit: the tokens left in the account's bucket (reading it costs none)."""

from . import handles


@handles("rate-limit", "Info")
def rate_limit_info(call):
    return {"remaining": call.emulator.bucket.remaining()}
