"""What `sagegate init` and the first `serve` print for a person: the credentials, once."""

from __future__ import annotations

from sagegate.iam.bootstrap import Bootstrapped


def print_credentials(made: Bootstrapped, *, generated_password: bool, endpoint: str = "") -> None:
    url = endpoint or "http://127.0.0.1:4747"
    pw = made.root_password if generated_password else "(the password you gave)"
    print(
        f"""
sagegate: created account {made.account_id}
  root user       {made.root_email}
  root password   {pw}
  IAM user        {made.admin_user} (AdministratorAccess)
  access key id   {made.admin_access_key_id}
  secret key      {made.admin_secret_access_key}

These are shown once. Configure the AWS CLI for the IAM user:

  aws configure set aws_access_key_id {made.admin_access_key_id} --profile sagegate
  aws configure set aws_secret_access_key {made.admin_secret_access_key} --profile sagegate
  aws configure set region us-east-1 --profile sagegate
  aws --profile sagegate --endpoint-url {url} sts get-caller-identity
""",
        flush=True,
    )
