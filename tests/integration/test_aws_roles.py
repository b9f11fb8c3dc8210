"""The aws_app_storage and aws_assume_role roles, run by ansible-playbook against moto (behind
the gate, which enforces trust policies and refuses inactive keys as AWS does) and the emulator."""

import json
from urllib.parse import unquote

import pytest
import yaml
from botocore.exceptions import ClientError

from tests.support.key_rotation import Fleet
from tests.support.playbook import PYTHON, run_playbook

pytestmark = pytest.mark.integration

APP = "files-app"
BUCKET = "files-app-uploads"
ROLE = "files-app-runtime"


@pytest.fixture
def app_host(heroku, tmp_path):
    assert heroku.post("/apps", {"name": APP}).status_code == 201
    inventory = {
        "all": {
            "hosts": {
                APP: {
                    "ansible_connection": "local",
                    "ansible_python_interpreter": PYTHON,
                    "heroku_environment": "production",
                    "aws_app_storage_bucket": BUCKET,
                    "aws_app_storage_versioning": True,
                    "aws_app_storage_tags": {"CostCenter": "files"},
                    "aws_assume_role_name": ROLE,
                    "aws_assume_role_inline_policy": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}
                        ],
                    },
                }
            }
        }
    }
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory))
    return path


def converge(tmp_path, heroku, aws, inventory, roles, **options):
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


def config(heroku):
    return heroku.get(f"/apps/{APP}/config-vars").json()


def tags_of(listed):
    return {tag["Key"]: tag["Value"] for tag in listed}


def test_storage_bucket_user_policy_and_first_key_in_one_release(tmp_path, heroku, aws, app_host):
    run = converge(tmp_path, heroku, aws, app_host, ["aws_app_storage"])
    assert run.rc == 0, run.stdout[-3000:]

    s3 = aws.client("s3")
    encryption = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]
    assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    bucket_tags = tags_of(s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"])
    assert bucket_tags == {
        "ManagedBy": "herokuops",
        "Environment": "production",
        "App": APP,
        "CostCenter": "files",
    }

    iam = aws.client("iam")
    user = f"{APP}-storage"
    assert tags_of(iam.list_user_tags(UserName=user)["Tags"])["App"] == APP
    document = iam.get_user_policy(UserName=user, PolicyName=f"{APP}-bucket-access")
    policy = document["PolicyDocument"]
    policy = json.loads(unquote(policy)) if isinstance(policy, str) else policy
    resources = {statement["Resource"] for statement in policy["Statement"]}
    assert resources == {f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"}

    values = config(heroku)
    (key,) = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    assert values["AWS_ACCESS_KEY_ID"] == key["AccessKeyId"] and key["Status"] == "Active"
    assert values["AWS_REGION"] == "us-east-1" and values["AWS_S3_BUCKET"] == BUCKET
    patches = [w for w in heroku.writes() if w["method"] == "PATCH"]
    assert len(patches) == 1  # key, secret, region and bucket: one release
    sts = aws.client("sts", values["AWS_ACCESS_KEY_ID"], values["AWS_SECRET_ACCESS_KEY"])
    assert sts.get_caller_identity()["Arn"].endswith(f":user/{user}")
    assert values["AWS_SECRET_ACCESS_KEY"] not in run.stdout

    heroku_writes, aws_writes = len(heroku.writes()), len(aws.writes())
    again = converge(tmp_path, heroku, aws, app_host, ["aws_app_storage"])
    assert again.rc == 0 and again.changed_count() == 0, again.stdout[-3000:]
    assert len(heroku.writes()) == heroku_writes
    assert len(aws.writes()) == aws_writes

    # After a rotation the role leaves the rotation's record on the user alone.
    Fleet(heroku, aws, apps=[APP], user=user).module(force=True)
    recorded = tags_of(iam.list_user_tags(UserName=user)["Tags"])
    assert any(name.startswith("herokuops:deactivated:") for name in recorded)
    aws_writes = len(aws.writes())
    after_rotation = converge(tmp_path, heroku, aws, app_host, ["aws_app_storage"])
    assert after_rotation.rc == 0 and after_rotation.changed_count() == 0
    assert tags_of(iam.list_user_tags(UserName=user)["Tags"]) == recorded
    assert len(aws.writes()) == aws_writes


def test_assume_role_needs_the_external_id_the_app_carries(tmp_path, heroku, aws, app_host):
    run = converge(
        tmp_path, heroku, aws, app_host, ["aws_assume_role"], verbosity=4, json_output=False
    )
    assert run.rc == 0, run.stdout[-3000:]
    values = config(heroku)
    external_id = values["AWS_EXTERNAL_ID"]
    assert len(external_id) == 48 and external_id.isalnum()
    stored = aws.client("secretsmanager").get_secret_value(
        SecretId=f"heroku/{APP}/aws-external-id", VersionStage="AWSCURRENT"
    )["SecretString"]
    assert stored == external_id
    assert external_id not in run.stdout and external_id not in run.stderr

    iam = aws.client("iam")
    role = iam.get_role(RoleName=ROLE)["Role"]
    assert values["AWS_ROLE_ARN"] == role["Arn"]
    assert tags_of(role["Tags"]) == {
        "ManagedBy": "herokuops",
        "Environment": "production",
        "App": APP,
    }
    assert iam.list_role_policies(RoleName=ROLE)["PolicyNames"] == [f"{ROLE}-inline"]

    sts = aws.client("sts")
    assumed = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="app", ExternalId=external_id)
    assert assumed["AssumedRoleUser"]["Arn"].endswith(f":assumed-role/{ROLE}/app")
    for wrong in ({}, {"ExternalId": "not-the-id"}):
        with pytest.raises(ClientError, match="AccessDenied"):
            sts.assume_role(RoleArn=role["Arn"], RoleSessionName="app", **wrong)

    heroku_writes, aws_writes = len(heroku.writes()), len(aws.writes())
    again = converge(tmp_path, heroku, aws, app_host, ["aws_assume_role"])
    assert again.rc == 0, again.stdout[-3000:]
    assert config(heroku)["AWS_EXTERNAL_ID"] == external_id  # made once, kept
    assert len(heroku.writes()) == heroku_writes
    assert len(aws.writes()) == aws_writes


def test_missing_bucket_fails_before_any_write(tmp_path, heroku, aws, app_host):
    inventory = yaml.safe_load(app_host.read_text())
    del inventory["all"]["hosts"][APP]["aws_app_storage_bucket"]
    app_host.write_text(yaml.safe_dump(inventory))
    run = converge(tmp_path, heroku, aws, app_host, ["aws_app_storage"], json_output=False)
    assert run.rc != 0
    assert "aws_app_storage_bucket" in run.stdout
    assert aws.writes() == []
