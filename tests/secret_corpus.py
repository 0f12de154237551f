"""Real-format secrets, one or more per rule family, and public text that must never be flagged.

Every secret is assembled at run time (``+``) so that this file itself does
not trip secret scanners or a forge's push protection. None of them is live.
"""

from __future__ import annotations

import base64
import random

_RNG = random.Random(20261115)
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _rand(n: int, alphabet: str = _ALNUM) -> str:
    return "".join(_RNG.choice(alphabet) for _ in range(n))


def _hex(n: int) -> str:
    return _rand(n, "0123456789abcdef")


_PKCS8_BODY = "MIIEvQ" + "IBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7" + _rand(40, _ALNUM + "+/")
_PKCS1_BODY = "MIIEow" + "IBAAKCAQEAsI8nHvZctWbEo2" + _rand(40, _ALNUM + "+/")
_EC_BODY = "MHcCAQ" + "EEIJy0T3qniAGz2ocEOXLp8z" + _rand(40, _ALNUM + "+/")
_OPENSSH_BODY = "b3BlbnNz" + "aC1rZXktdjEAAAAABG5vbmUAAAAEbm9u" + _rand(40, _ALNUM + "+/")
_JWT = (
    "eyJ"
    + base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")[3:]
    + ".eyJ"
    + base64.urlsafe_b64encode(b'{"sub":"1234567890","name":"responder"}').decode().rstrip("=")[3:]
    + "."
    + _rand(43, _ALNUM + "_-")
)

# rule id -> samples that rule must find (as a responder might paste them).
SECRETS: dict[str, list[str]] = {
    "aws-access-token": ["AKIA" + "Z7VRSQ5TJN2XMPLE"],
    "aws-secret-access-key": [
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY",
        "aws_secret_access_key = " + "Xq7pL2mN9vB4kR8sT1wY6zA3cF5hJ0dGeUiOo/+Q",
    ],
    "gcp-api-key": ["AIza" + "SyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe"],
    "gcp-service-account": ['{"type": "service_' + 'account", "project_id": "shop-prod"}'],
    "azure-storage-key": ["DefaultEndpointsProtocol=https;AccountName=shop;Account" + "Key=" + _rand(86, _ALNUM + "+/") + "=="],
    "azure-ad-client-secret": ["client secret " + "abc8Q~" + _rand(34, _ALNUM + "_~.-")],
    "digitalocean-token": ["dop_v1_" + _hex(64)],
    "heroku-api-key-v2": ["HRKU-AA" + _rand(58, _ALNUM + "_-")],
    "alibaba-access-key-id": ["LTAI" + _rand(20)],
    "github-pat": ["ghp" + "_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "ghs_" + _rand(36)],
    "github-fine-grained-pat": ["github" + "_pat_" + "11ABCDEFG0123456789_" + _rand(59)],
    "gitlab-token": ["glpat-" + _rand(20, _ALNUM + "_-")],
    "gitlab-runner-token": ["GR1348941" + _rand(20)],
    "npm-access-token": ["npm_" + _rand(36), "//registry.npmjs.org/:_authToken=npm_" + _rand(36)],
    "pypi-upload-token": ["pypi-AgEIcHlwaS5vcmc" + _rand(70, _ALNUM + "_-")],
    "rubygems-api-token": ["rubygems_" + _hex(48)],
    "docker-hub-pat": ["dckr_pat_" + _rand(27)],
    "artifactory-api-key": ["AKCp" + _rand(69)],
    "hashicorp-vault-token": ["hvs." + _rand(90)],
    "hashicorp-tf-api-token": [_rand(14).lower() + ".atlasv1." + _rand(67).lower()],
    "atlassian-api-token": ["ATATT3" + _rand(180, _ALNUM + "_=-")],
    "linear-api-key": ["lin_api_" + _rand(40)],
    "slack-token": ["xox" + "b-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx", "xoxp-" + "2345678901-3456789012-" + _rand(24)],
    "slack-app-token": ["xapp-1-A0123456789-1234567890123-" + _hex(64)],
    "slack-config-token": ["xoxe.xoxp-1-" + _rand(140).upper()],
    "slack-webhook-url": ["https://hooks.slack.com/services/" + "T00000000/B00000000/" + "XXXXXXXXXXXXXXXXXXXXXXXX"],
    "microsoft-teams-webhook": [
        "https://contoso.webhook.office.com/webhookb2/"
        + "0c5b3c1a-1111-2222-3333-444455556666@72f988bf-86f1-41af-91ab-2d7cd011db47"
        + "/IncomingWebhook/"
        + "0123456789abcdef0123456789abcdef"
        + "/0c5b3c1a-1111-2222-3333-444455556666"
    ],
    "signed-url": [
        "https://prod-12.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers&sv=1.0&"
        + "sig="
        + _rand(43, _ALNUM + "_-"),
        "https://shop-exports.s3.amazonaws.com/report.csv?X-Amz-Credential=x&X-Amz-" + "Signature=" + _hex(64),
    ],
    "discord-webhook": ["https://discord.com/api/webhooks/" + "123456789012345678/" + _rand(68, _ALNUM + "_-")],
    "discord-bot-token": ["MTA" + _rand(23) + "." + _rand(6) + "." + _rand(38, _ALNUM + "_-")],
    "telegram-bot-api-token": ["123456789:AA" + _rand(33, _ALNUM + "_-")],
    "stripe-access-token": ["sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "rk_test_" + _rand(24)],
    "square-token": ["sq0csp-" + _rand(43, _ALNUM + "_-"), "EAAA" + _rand(60)],
    "shopify-token": ["shpat_" + _hex(32)],
    "twilio-api-key": ["SK" + _hex(32), "AC" + _hex(32)],
    "sendgrid-api-token": ["SG." + _rand(22) + "." + _rand(43)],
    "mailchimp-api-key": [_hex(32) + "-us21"],
    "mailgun-private-api-token": ["key-" + _rand(32)],
    "postman-api-token": ["PMAK-" + _hex(24) + "-" + _hex(34)],
    "grafana-token": ["glsa_" + _rand(32) + "_" + _hex(8), "glc_" + _rand(40)],
    "sentry-token": ["sntryu_" + _hex(64)],
    "new-relic-user-api-key": ["NRAK-" + _rand(27).upper()],
    "datadog-api-key": ["DD_API_KEY=" + _hex(32)],
    "openai-api-key": ["sk-proj-" + _rand(20) + "T3Blbk" + "FJ" + _rand(20), "sk-proj-" + _rand(64, _ALNUM + "_-")],
    "anthropic-api-key": ["sk-ant-api03-" + _rand(93, _ALNUM + "_-") + "AA"],
    "huggingface-access-token": ["hf_" + _rand(34, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")],
    "age-secret-key": ["AGE-SECRET-KEY-1" + _rand(58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L")],
    "ibm-cloud-iam-key": ["ibm_api_key: " + _rand(44, _ALNUM + "_-")],
    "jwt": [_JWT],
    "private-key": [
        "-----BEGIN " + "RSA PRIVATE KEY-----",
        "-----BEGIN " + "OPENSSH PRIVATE KEY-----",
        "PuTTY-User-" + "Key-File-3: ssh-ed25519",
    ],
    "private-key-body": [_PKCS8_BODY, _PKCS1_BODY, _EC_BODY, _OPENSSH_BODY],
    "authorization-header": [
        "curl -H 'Authorization: Bearer " + _rand(36, _ALNUM + "._-") + "'",
        "Authorization: Basic " + "ZGVwbG95Omh1bnRlcjJzZWNyZXQ=",
    ],
    "url-credentials": [
        "redis://:" + "s3cretpassw0rd@cache.internal:6379/0",
        "https://deploy:" + "hunter2" + "@registry.example.com/v2/",
        "postgres://app:" + "correcthorsebatterystaple@db.internal/shop",
        "https://admin:" + _hex(64) + "@shop-db.cloudant.com",
    ],
    "generic-credential": [
        "password=" + "Tr0ub4dor&3xyz",
        "api_key: " + "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
        "DB_PASSWORD: " + "hunter2!",
        "client_secret = '" + _rand(32) + "'",
        "routing_key: " + _hex(32),
        "cos_hmac_secret_access_key = " + _hex(48),
        "softlayer_api_key = " + _hex(64),
    ],
}

# Text that appears in real incident records and must not be flagged at all.
NOT_SECRETS = [
    "https://hooks.slack.com/services/",  # a webhook URL without its signature part
    "See https://status.example.com/incidents and the runbook",
    "https://user@example.com/path",  # a user name, no password
    "socks5h://<username>:<password>@proxy-host",
    "http://username:password@host.example/",
    "Bearer tokens were rotated",
    "AKIA is the prefix of AWS keys",
    "ghp_ tokens are GitHub's",
    "Error rate at 40% since 2026-11-15T08:45:00Z; 48000 users; version 1.19.0",
    "-----BEGIN PUBLIC KEY-----",
    "-----BEGIN CERTIFICATE-----\nMIIC+TCCAeGgAwIBAgIUSZinkdMjSaQx2T3uBq6n1GQ7F5AwDQYJKoZIhvcNAQEL",
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsI8nHvZctWbEo2Wl9tFkq",  # a public key's body
    "git@github.com:org/repo.git",
    "Rolled back to commit 0123456789abcdef0123456789abcdef01234567",
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "secret_env: MIMCTL_PAGING_WEBHOOK_SECRET",
    "url_env: MIMCTL_SLACK_WEBHOOK_URL",
    "token: ${{ secrets.GITHUB_TOKEN }}",
    "password: <ask the on-call>",
    "password: reset via the portal",
    "api_key: REDACTED",
    "the token: expired after 3600s",
    "token = Keyword.Reserved",
    "secret = env_value(channel, 'secret_env', env)",
    "private_key: /etc/ssl/private/checkout.pem",
    "max_tokens: 4096",
    "ThisIsTheIncidentResponseRunbookVersion2",
    "incidents/INC-0042/timeline/20261115T085000Z-note-a1b2c3.yaml",
    "Pool exhausted: acquire conn: context deadline exceeded (pool=payments, max=50)",
    "UUID 0c5b3c1a-1111-2222-3333-444455556666 in the logs",
    "image logo@2x.png and icon@3x.webp failed to load",
    "Deployed build 2026.11.15.0845 to eu-west-1",
]

# Text published on the public site that is not personal data.
NOT_PERSONAL = [
    "git@github.com:org/repo.git",
    "logo@2x.png failed to load",
    "icon@3x.webp",
    "Traffic from +10.120.33.45 was blocked",
    "Peering to +100.64.0.10 restored",
    "Since 2026-11-15 08:45, 48000 users, P1, v2.10.3",
    "Checkout errors in eu-west-1",
    "Build 2026.11.15.0845 rolled back",
]

PERSONAL = [
    "Mail jane.doe@example.com for details",
    "Write to ops@example.com: we answer within the hour",
    "Call +44 20 7946 0958 now",
    "Call +1 (555) 010-9999",
    "Hotline 030 1234 5678",
]
