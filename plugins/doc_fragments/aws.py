# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # AWS options of the modules that call AWS (plugins/module_utils/_aws.py). The names are
    # amazon.aws's, so the same variables serve both collections.
    DOCUMENTATION = r"""
options:
  access_key:
    description:
      - AWS access key id. When not set, boto3's own chain is used (E(AWS_ACCESS_KEY_ID),
        E(AWS_PROFILE), the shared credentials file, an instance or container role).
    type: str
    aliases: [aws_access_key_id]
  secret_key:
    description:
      - AWS secret access key, with O(access_key). Never logged.
    type: str
    aliases: [aws_secret_access_key]
  session_token:
    description:
      - AWS session token, for temporary credentials. Never logged.
    type: str
  profile:
    description:
      - A profile of the shared AWS config and credentials files.
    type: str
    aliases: [aws_profile]
  region:
    description:
      - AWS region. When not set, E(AWS_REGION) or E(AWS_DEFAULT_REGION), then C(us-east-1).
    type: str
    aliases: [aws_region]
  endpoint_url:
    description:
      - Send AWS requests to this URL instead of AWS's own endpoints (a local emulator such as
        moto, or a VPC endpoint). When not set, E(AWS_ENDPOINT_URL) is used when present.
    type: str
    aliases: [aws_endpoint_url]
requirements:
  - boto3
"""
