# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS access for the rotation and sync modules, on boto3.

Credentials, region and endpoint follow amazon.aws's option names, and anything not given falls
back to boto3's own chain (``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``, ``AWS_ENDPOINT_URL``, ...).
Reads are retried by botocore; writes are sent once (botocore's retries off), because a create
that timed out may have happened: the modules re-read AWS and plan again instead.
Every AWS error becomes an ``AwsError`` with the AWS code, message and request id; a setting
that cannot work (no credentials, an unknown profile) is an ``AwsConfigError`` naming the option.
boto3 is imported on first use, so the Heroku-only modules never pay for it.
"""

from __future__ import annotations

import contextlib
import importlib
import traceback

from ansible.module_utils.basic import missing_required_lib

MISSING_CREDENTIALS = (
    "No AWS credentials found: set access_key and secret_key, or profile, or the "
    "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_PROFILE environment variables."
)


def aws_argument_spec():
    """Options every module that calls AWS shares; documented in the ``aws`` fragment."""
    return {
        "access_key": {"type": "str", "aliases": ["aws_access_key_id"], "no_log": False},
        "secret_key": {"type": "str", "aliases": ["aws_secret_access_key"], "no_log": True},
        "session_token": {"type": "str", "no_log": True},
        "profile": {"type": "str", "aliases": ["aws_profile"]},
        "region": {"type": "str", "aliases": ["aws_region"]},
        "endpoint_url": {"type": "str", "aliases": ["aws_endpoint_url"]},
    }


def boto():
    """(boto3, botocore.config, botocore.exceptions), imported on first use."""
    try:
        return tuple(
            importlib.import_module(name)
            for name in ("boto3", "botocore.config", "botocore.exceptions")
        )
    except ImportError:
        raise AwsConfigError(f"{missing_required_lib('boto3')}\n{traceback.format_exc()}") from None


def with_aws_options(argument_spec):
    spec = aws_argument_spec()
    spec.update(argument_spec)
    return spec


class AwsConfigError(ValueError):
    """The AWS settings cannot work (no credentials, unknown profile): retrying cannot help."""


class AwsError(Exception):
    """A failed AWS call: code, message, request id; ``may_have_applied`` for lost writes."""

    def __init__(self, operation, code, message, request_id=None, status=None, applied=False):
        self.operation = operation
        self.code = code
        self.message = message
        self.request_id = request_id
        self.status = status
        self.may_have_applied = applied
        super().__init__(str(self))

    def __str__(self):
        text = f"AWS {self.operation}: {self.code}: {self.message}"
        if self.request_id:
            text += f" (request id {self.request_id})"
        return text

    def to_dict(self):
        return {
            "operation": self.operation,
            "code": self.code,
            "message": self.message,
            "request_id": self.request_id,
            "status": self.status,
        }


def error_code(error):
    """The AWS error code of an AwsError or botocore ClientError, else None."""
    if isinstance(error, AwsError):
        return error.code
    response = getattr(error, "response", None) or {}
    return (response.get("Error") or {}).get("Code")


class Aws:
    """boto3 clients for one task: ``aws.call("iam", "list_access_keys", UserName=...)``.

    ``read_retries`` is botocore's attempt count for reads; writes get one attempt each.
    """

    def __init__(self, params, read_attempts=5):
        boto3, config, exceptions = boto()
        try:
            self.session = boto3.session.Session(
                aws_access_key_id=params.get("access_key"),
                aws_secret_access_key=params.get("secret_key"),
                aws_session_token=params.get("session_token"),
                profile_name=params.get("profile"),
                region_name=params.get("region"),
            )
        except exceptions.ProfileNotFound as error:
            raise AwsConfigError(f"profile: {error}") from None
        if (params.get("access_key") is None) != (params.get("secret_key") is None):
            raise AwsConfigError("access_key and secret_key: give both or neither.")
        if self.session.get_credentials() is None:
            raise AwsConfigError(MISSING_CREDENTIALS)
        self.region = self.session.region_name or "us-east-1"
        self.endpoint_url = params.get("endpoint_url")
        self._configs = {
            "read": config.Config(
                retries={"mode": "standard", "total_max_attempts": read_attempts},
                connect_timeout=10,
                read_timeout=30,
            ),
            "write": config.Config(
                retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=30
            ),
        }
        self._clients = {}
        self.writes_sent = 0

    def client(self, service, purpose="read"):
        key = (service, purpose)
        if key not in self._clients:
            self._clients[key] = self.session.client(
                service,
                region_name=self.region,
                endpoint_url=self.endpoint_url,
                config=self._configs[purpose],
            )
        return self._clients[key]

    def call(self, service, operation, **arguments):
        """A read; retried by botocore."""
        with aws_errors(operation):
            return getattr(self.client(service), operation)(**arguments)

    def write(self, service, operation, **arguments):
        """A write, sent once; an AwsError with ``may_have_applied`` when no answer came back."""
        with aws_errors(operation, write=True):
            self.writes_sent += 1
            return getattr(self.client(service, "write"), operation)(**arguments)

    def call_as(self, access_key_id, secret_access_key, service, operation, **arguments):
        """A read signed with other credentials (to prove a new key works); not retried."""
        boto3 = boto()[0]
        client = boto3.session.Session(
            aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key
        ).client(
            service,
            region_name=self.region,
            endpoint_url=self.endpoint_url,
            config=self._configs["write"],
        )
        with aws_errors(operation):
            return getattr(client, operation)(**arguments)

    def paginate(self, service, operation, result_key, **arguments):
        with aws_errors(operation):
            paginator = self.client(service).get_paginator(operation)
            items = []
            for page in paginator.paginate(**arguments):
                items.extend(page.get(result_key, []))
            return items


@contextlib.contextmanager
def aws_errors(operation, write=False):
    """botocore's exceptions as AwsError / AwsConfigError with what the user needs to act."""
    exceptions = boto()[2]
    try:
        yield
    except exceptions.NoCredentialsError:
        raise AwsConfigError(MISSING_CREDENTIALS) from None
    except exceptions.PartialCredentialsError as error:
        raise AwsConfigError(f"access_key / secret_key: {error}") from None
    except exceptions.ClientError as error:
        response = error.response or {}
        details = response.get("Error") or {}
        metadata = response.get("ResponseMetadata") or {}
        status = metadata.get("HTTPStatusCode")
        raise AwsError(
            operation,
            details.get("Code", "Unknown"),
            details.get("Message", str(error)),
            request_id=metadata.get("RequestId"),
            status=status,
            applied=write and (status is None or status >= 500),
        ) from None
    except exceptions.EndpointConnectionError as error:
        raise AwsError(operation, "EndpointConnectionError", str(error), applied=False) from None
    except (
        exceptions.ConnectionClosedError,
        exceptions.ReadTimeoutError,
    ) as error:
        # The request went out and no answer came back: a write may have been applied.
        raise AwsError(operation, type(error).__name__, str(error), applied=write) from None
    except exceptions.ParamValidationError as error:
        raise AwsConfigError(f"AWS {operation}: {error}") from None
