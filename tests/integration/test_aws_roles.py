"""The aws_app_storage and aws_assume_role roles, run by ansible-playbook against moto (behind
the gate, which enforces trust policies and refuses inactive keys as AWS does) and the emulator.

Runs that handle a secret are made at -vvvv --diff with the text callback, and the secrets the
run produced (the storage user's secret key, the external id) are searched for in the output.
"""

import json
from urllib.parse import unquote

import pytest
import yaml
from botocore.exceptions import ClientError

from tests.support.aws import ACCOUNT_ID
from tests.support.key_rotation import Fleet
from tests.support.playbook import PYTHON, run_playbook

pytestmark = pytest.mark.integration

APP = "files-app"
BUCKET = "files-app-uploads"
ROLE = "files-app-runtime"
USER = f"{APP}-storage"
SECRET = f"heroku/{APP}/aws-external-id"
STORAGE_VARS = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_S3_BUCKET"}
RUNBOOK_TAGS = {"ManagedBy": "herokuops", "Environment": "production", "App": APP}


@pytest.fixture
def app_host(ansible_ready, heroku, tmp_path):
    """The app in the emulator, and an inventory with one host named like it."""
    assert heroku.post("/apps", {"name": APP}).status_code == 201
    host_vars = {
        "ansible_connection": "local",
        "ansible_python_interpreter": PYTHON,
        "heroku_environment": "production",
        "aws_app_storage_bucket": BUCKET,
        "aws_app_storage_versioning": True,
        "aws_app_storage_tags": {"CostCenter": "files"},
        "aws_assume_role_name": ROLE,
        "aws_assume_role_inline_policy": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}],
        },
    }
    path = tmp_path / "inventory.yml"
    write_inventory(path, host_vars)
    return path


def write_inventory(path, host_vars):
    path.write_text(yaml.safe_dump({"all": {"hosts": {APP: host_vars}}}))


def set_host_vars(inventory, **changes):
    """Change the host's variables (a value of None removes the variable)."""
    host_vars = yaml.safe_load(inventory.read_text())["all"]["hosts"][APP]
    for name, value in changes.items():
        if value is None:
            host_vars.pop(name, None)
        else:
            host_vars[name] = value
    write_inventory(inventory, host_vars)


def converge(tmp_path, heroku, aws, inventory, roles, **options):
    """ansible-playbook applying `roles` (in order) to the app's host, as the AWS admin."""
    play = [
        {
            "name": "AWS pieces of the app",
            "hosts": "all",
            "gather_facts": False,
            "roles": [f"herokuops.platform.{role}" for role in roles],
        }
    ]
    playbook = tmp_path / "aws.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    return run_playbook(
        tmp_path,
        None,
        heroku.url,
        playbook=playbook,
        inventory=str(inventory),
        env=aws.env(),
        **options,
    )


def loud(tmp_path, heroku, aws, inventory, roles):
    """A run at -vvvv --diff with the text callback: what a user would paste in an issue."""
    run = converge(
        tmp_path, heroku, aws, inventory, roles, verbosity=4, diff=True, json_output=False
    )
    assert run.rc == 0, run.stdout[-4000:]
    return run


def config(heroku):
    return heroku.get(f"/apps/{APP}/config-vars").json()


def config_patches(heroku):
    return [
        entry
        for entry in heroku.writes()
        if entry["method"] == "PATCH" and entry["path"] == f"/apps/{APP}/config-vars"
    ]


def config_releases(heroku):
    """Descriptions of the app's releases that changed config vars, oldest first."""
    releases = heroku.get(f"/apps/{APP}/releases").json()
    return [r["description"] for r in releases if r["description"].endswith("config vars")]


def tags_of(listed):
    return {tag["Key"]: tag["Value"] for tag in listed}


def document(policy):
    """A policy document as moto returns it: a dict, or URL-encoded JSON."""
    return json.loads(unquote(policy)) if isinstance(policy, str) else policy


def assert_no_secret_in(run, *secrets):
    for secret in secrets:
        assert len(secret) >= 20
        assert secret not in run.stdout and secret not in run.stderr


def test_storage_bucket_user_policy_and_first_key_in_one_release(tmp_path, heroku, aws, app_host):
    run = loud(tmp_path, heroku, aws, app_host, ["aws_app_storage"])

    s3 = aws.client("s3")
    encryption = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]
    assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    bucket_tags = tags_of(s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"])
    assert bucket_tags == {**RUNBOOK_TAGS, "CostCenter": "files"}

    iam = aws.client("iam")
    assert tags_of(iam.list_user_tags(UserName=USER)["Tags"]) == bucket_tags
    assert iam.list_user_policies(UserName=USER)["PolicyNames"] == [f"{APP}-bucket-access"]
    assert iam.list_attached_user_policies(UserName=USER)["AttachedPolicies"] == []
    policy = document(
        iam.get_user_policy(UserName=USER, PolicyName=f"{APP}-bucket-access")["PolicyDocument"]
    )
    granted = {}
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"]
        actions = [actions] if isinstance(actions, str) else actions
        granted.setdefault(statement["Resource"], set()).update(actions)
    assert granted == {
        f"arn:aws:s3:::{BUCKET}": {"s3:ListBucket", "s3:GetBucketLocation"},
        f"arn:aws:s3:::{BUCKET}/*": {"s3:GetObject", "s3:PutObject", "s3:DeleteObject"},
    }

    # The app: the user's only key, with region and bucket, set by one PATCH (one release).
    values = config(heroku)
    (key,) = iam.list_access_keys(UserName=USER)["AccessKeyMetadata"]
    assert key["Status"] == "Active"
    assert values["AWS_ACCESS_KEY_ID"] == key["AccessKeyId"]
    assert values["AWS_REGION"] == "us-east-1" and values["AWS_S3_BUCKET"] == BUCKET
    assert len(config_patches(heroku)) == 1
    (release,) = config_releases(heroku)
    assert all(name in release for name in STORAGE_VARS), release
    sts = aws.client("sts", values["AWS_ACCESS_KEY_ID"], values["AWS_SECRET_ACCESS_KEY"])
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{USER}"
    # ... and the key reaches the bucket (the gate forwards to moto, which grants it).
    s3_as_app = aws.client("s3", values["AWS_ACCESS_KEY_ID"], values["AWS_SECRET_ACCESS_KEY"])
    s3_as_app.put_object(Bucket=BUCKET, Key="hello.txt", Body=b"hi")
    assert_no_secret_in(run, values["AWS_SECRET_ACCESS_KEY"])

    # Nothing is due: check mode and a real rerun change and write nothing.
    heroku_writes, aws_writes = len(heroku.writes()), len(aws.writes())
    for check in (True, False):
        again = converge(tmp_path, heroku, aws, app_host, ["aws_app_storage"], check=check)
        assert again.rc == 0 and again.changed_count() == 0, again.stdout[-3000:]
        assert len(heroku.writes()) == heroku_writes
        assert len(aws.writes()) == aws_writes
    assert config(heroku) == values

    # After a rotation the role leaves the rotation's record on the user alone.
    Fleet(heroku, aws, apps=[APP], user=USER).module(force=True)
    recorded = tags_of(iam.list_user_tags(UserName=USER)["Tags"])
    assert any(name.startswith("herokuops:deactivated:") for name in recorded)
    rotated = config(heroku)
    assert rotated["AWS_ACCESS_KEY_ID"] != values["AWS_ACCESS_KEY_ID"]
    aws_writes, heroku_writes = len(aws.writes()), len(heroku.writes())
    after_rotation = converge(tmp_path, heroku, aws, app_host, ["aws_app_storage"])
    assert after_rotation.rc == 0 and after_rotation.changed_count() == 0
    assert tags_of(iam.list_user_tags(UserName=USER)["Tags"]) == recorded
    assert len(aws.writes()) == aws_writes and len(heroku.writes()) == heroku_writes
    assert config(heroku) == rotated


def test_storage_with_kms_renamed_vars_and_versioning_later(tmp_path, heroku, aws, app_host):
    kms_key = aws.client("kms").create_key(Description="files-app uploads")["KeyMetadata"]["Arn"]
    set_host_vars(
        app_host,
        aws_app_storage_encryption="aws:kms",
        aws_app_storage_kms_key_id=kms_key,
        aws_app_storage_versioning=False,
        aws_app_storage_iam_user="uploads-writer",
        aws_app_storage_access_key_var="S3_KEY_ID",
        aws_app_storage_secret_key_var="S3_SECRET",
        aws_app_storage_region_var="S3_REGION",
        aws_app_storage_bucket_var="S3_BUCKET",
    )
    run = loud(tmp_path, heroku, aws, app_host, ["aws_app_storage"])

    values = config(heroku)
    assert set(values) == {"S3_KEY_ID", "S3_SECRET", "S3_REGION", "S3_BUCKET"}
    assert values["S3_BUCKET"] == BUCKET
    assert len(config_patches(heroku)) == 1
    sts = aws.client("sts", values["S3_KEY_ID"], values["S3_SECRET"])
    assert sts.get_caller_identity()["Arn"].endswith(":user/uploads-writer")
    s3 = aws.client("s3")
    assert "Status" not in s3.get_bucket_versioning(Bucket=BUCKET)
    (rule,) = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": kms_key,
    }
    assert_no_secret_in(run, values["S3_SECRET"])

    # Turning versioning on later changes the bucket only: the app keeps its key, no release.
    set_host_vars(app_host, aws_app_storage_versioning=True)
    heroku_writes = len(heroku.writes())
    again = converge(tmp_path, heroku, aws, app_host, ["aws_app_storage"])
    assert again.rc == 0 and again.changed_count() == 1, again.stdout[-3000:]
    assert aws.client("s3").get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    assert len(heroku.writes()) == heroku_writes
    assert config(heroku) == values


def test_assume_role_needs_the_external_id_the_app_carries(tmp_path, heroku, aws, app_host):
    run = loud(tmp_path, heroku, aws, app_host, ["aws_assume_role"])

    values = config(heroku)
    assert set(values) == {"AWS_ROLE_ARN", "AWS_EXTERNAL_ID"}
    external_id = values["AWS_EXTERNAL_ID"]
    assert len(external_id) == 48 and external_id.isalnum()
    secrets = aws.client("secretsmanager")
    stored = secrets.get_secret_value(SecretId=SECRET, VersionStage="AWSCURRENT")
    assert stored["SecretString"] == external_id
    assert tags_of(secrets.describe_secret(SecretId=SECRET)["Tags"]) == RUNBOOK_TAGS
    assert_no_secret_in(run, external_id)
    # Role ARN and external id came in one change.
    assert len(config_patches(heroku)) == 1
    (release,) = config_releases(heroku)
    assert "AWS_ROLE_ARN" in release and "AWS_EXTERNAL_ID" in release

    iam = aws.client("iam")
    role = iam.get_role(RoleName=ROLE)["Role"]
    assert values["AWS_ROLE_ARN"] == role["Arn"]
    assert tags_of(role["Tags"]) == RUNBOOK_TAGS
    assert role["MaxSessionDuration"] == 3600
    (trust,) = document(role["AssumeRolePolicyDocument"])["Statement"]
    assert trust["Effect"] == "Allow" and trust["Action"] == "sts:AssumeRole"
    principals = trust["Principal"]["AWS"]
    assert principals in ([f"arn:aws:iam::{ACCOUNT_ID}:root"], f"arn:aws:iam::{ACCOUNT_ID}:root")
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": external_id}}
    assert iam.list_role_policies(RoleName=ROLE)["PolicyNames"] == [f"{ROLE}-inline"]
    inline = document(
        iam.get_role_policy(RoleName=ROLE, PolicyName=f"{ROLE}-inline")["PolicyDocument"]
    )
    assert inline["Statement"][0]["Action"] == "s3:ListAllMyBuckets"

    sts = aws.client("sts")
    assumed = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="test", ExternalId=external_id)
    assert assumed["AssumedRoleUser"]["Arn"].endswith(f":assumed-role/{ROLE}/test")
    for wrong in ({}, {"ExternalId": "not-the-id"}, {"ExternalId": external_id[:-1]}):
        with pytest.raises(ClientError, match="AccessDenied"):
            sts.assume_role(RoleArn=role["Arn"], RoleSessionName="test", **wrong)

    # Nothing is due: check mode and a real rerun change and write nothing; the id is kept.
    heroku_writes, aws_writes = len(heroku.writes()), len(aws.writes())
    for check in (True, False):
        again = converge(tmp_path, heroku, aws, app_host, ["aws_assume_role"], check=check)
        assert again.rc == 0 and again.changed_count() == 0, again.stdout[-3000:]
        assert len(heroku.writes()) == heroku_writes
        assert len(aws.writes()) == aws_writes
    assert config(heroku) == values


def test_assume_role_trusting_the_storage_user(tmp_path, heroku, aws, app_host):
    reader = aws.client("iam").create_policy(
        PolicyName="files-reader",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
            }
        ),
    )["Policy"]["Arn"]
    set_host_vars(
        app_host,
        aws_assume_role_trust_storage_user=True,
        aws_assume_role_managed_policies=[reader],
        aws_assume_role_inline_policy=None,
        aws_assume_role_max_session_duration=7200,
        aws_assume_role_environment="staging",
        aws_assume_role_tags={"Team": "files"},
        aws_assume_role_external_id_secret="files/external-id",
    )
    run = loud(tmp_path, heroku, aws, app_host, ["aws_app_storage", "aws_assume_role"])

    values = config(heroku)
    assert set(values) == STORAGE_VARS | {"AWS_ROLE_ARN", "AWS_EXTERNAL_ID"}
    assert len(config_patches(heroku)) == 2  # one per role
    external_id = values["AWS_EXTERNAL_ID"]
    assert_no_secret_in(run, external_id, values["AWS_SECRET_ACCESS_KEY"])

    iam = aws.client("iam")
    role = iam.get_role(RoleName=ROLE)["Role"]
    assert role["MaxSessionDuration"] == 7200
    tags = {"ManagedBy": "herokuops", "Environment": "staging", "App": APP, "Team": "files"}
    assert tags_of(role["Tags"]) == tags
    secrets = aws.client("secretsmanager")
    assert tags_of(secrets.describe_secret(SecretId="files/external-id")["Tags"]) == tags
    (trust,) = document(role["AssumeRolePolicyDocument"])["Statement"]
    user_arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{USER}"
    assert trust["Principal"]["AWS"] in (user_arn, [user_arn])
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": external_id}}
    attached = iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]
    assert [policy["PolicyArn"] for policy in attached] == [reader]
    assert iam.list_role_policies(RoleName=ROLE)["PolicyNames"] == []

    # The app, with what it carries, assumes the role; the account's admin no longer may.
    as_app = aws.client("sts", values["AWS_ACCESS_KEY_ID"], values["AWS_SECRET_ACCESS_KEY"])
    assumed = as_app.assume_role(
        RoleArn=values["AWS_ROLE_ARN"], RoleSessionName="test", ExternalId=external_id
    )
    assert assumed["AssumedRoleUser"]["Arn"].endswith(f":assumed-role/{ROLE}/test")
    with pytest.raises(ClientError, match="AccessDenied"):
        as_app.assume_role(RoleArn=values["AWS_ROLE_ARN"], RoleSessionName="test")
    with pytest.raises(ClientError, match="AccessDenied"):
        aws.client("sts").assume_role(
            RoleArn=values["AWS_ROLE_ARN"], RoleSessionName="test", ExternalId=external_id
        )

    heroku_writes, aws_writes = len(heroku.writes()), len(aws.writes())
    again = converge(tmp_path, heroku, aws, app_host, ["aws_app_storage", "aws_assume_role"])
    assert again.rc == 0 and again.changed_count() == 0, again.stdout[-3000:]
    assert len(heroku.writes()) == heroku_writes
    assert len(aws.writes()) == aws_writes


@pytest.mark.parametrize(
    ("role", "changes", "named"),
    [
        ("aws_app_storage", {"aws_app_storage_bucket": None}, "aws_app_storage_bucket"),
        ("aws_app_storage", {"aws_app_storage_encryption": "DES"}, "aws_app_storage_encryption"),
        ("aws_assume_role", {"aws_assume_role_name": None}, "aws_assume_role_name"),
        (
            "aws_assume_role",
            {"aws_assume_role_max_session_duration": "a day"},
            "aws_assume_role_max_session_duration",
        ),
    ],
)
def test_bad_variables_fail_before_any_write(tmp_path, heroku, aws, app_host, role, changes, named):
    set_host_vars(app_host, **changes)
    heroku_writes = heroku.writes()  # the app's creation
    run = converge(tmp_path, heroku, aws, app_host, [role], json_output=False)
    assert run.rc != 0
    assert named in run.stdout
    assert aws.writes() == []
    assert heroku.writes() == heroku_writes
