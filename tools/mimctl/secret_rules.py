"""The secret rules: one entry per credential family, as data.

The families, ids and shapes follow gitleaks' published rule set (ids are
gitleaks' where one corresponds, so a maintainer can compare the two when
either changes) and cover every family detect-secrets ships a regex plugin
for (a test checks that against the installed detect-secrets). Patterns are
RE2 syntax: the engine (google-re2) matches them in time linear in the input,
whatever the input, so a hostile 900 KB value costs milliseconds. Group 1,
when a pattern has one, is the secret; otherwise the whole match is.

``keywords`` (lower case) are cheap needles: a rule runs only on text that
holds one of them. ``entropy`` is the least Shannon entropy (bits per
character) the secret must have, and ``accept`` a last check on it, to keep
words, placeholders and references out.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

# Characters that may not touch a token on either side (a longer string is not that token).
TOKEN = "A-Za-z0-9_-"
BASE64 = "A-Za-z0-9+/="


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    pattern: str
    keywords: tuple[str, ...] = ()
    entropy: float = 0.0
    accept: Callable[[str], bool] | None = None
    boundary: str = ""  # a character class (without brackets) that may not touch the secret


def entropy(text: str) -> float:
    """Shannon entropy of ``text`` in bits per character."""
    if not text:
        return 0.0
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _mixed(text: str) -> bool:
    """Upper and lower case and a digit (a random key, not a word, a path or a hex digest)."""
    upper = sum(c.isupper() for c in text)
    lower = sum(c.islower() for c in text)
    return upper >= 2 and lower >= 2 and any(c.isdigit() for c in text) and "//" not in text


# Values after `password=` that name a secret rather than hold one.
_PLACEHOLDER_MARKS = ("${", "{{", "<", "%(", "$(", "***", "xxxx", "…", "...")
_PLACEHOLDER_WORDS = frozenset(
    [
        "none",
        "null",
        "nil",
        "redacted",
        "removed",
        "hidden",
        "changeme",
        "example",
        "sample",
        "dummy",
        "placeholder",
        "password",
        "passwd",
        "pass",
        "secret",
        "token",
        "required",
        "optional",
        "true",
        "false",
        "username",
        "user",
    ]
)


def _placeholder(value: str) -> bool:
    """A reference or stand-in (``${TOKEN}``, ``<password>``, ``***``, ``$SECRET``), not a secret."""
    folded = value.lower()
    return any(mark in folded for mark in _PLACEHOLDER_MARKS) or value.startswith(("$", "%")) or folded.strip("'\"") in _PLACEHOLDER_WORDS


def _credential_value(value: str) -> bool:
    """A value assigned to a credential keyword that looks like the credential itself."""
    if _placeholder(value):
        return False
    if "://" in value or value.startswith(("/", "~/", "./")):
        return False  # a link or a path: url-credentials judges links
    if any(mark in value for mark in "()[]{}"):
        return False  # code: `secret = env_value(...)`, `password = os.environ[...]`
    if value.isupper():
        return False  # an environment variable's name (MIMCTL_SECRET)
    # Letters and a digit or a symbol: not a word, not a dotted name like Keyword.Reserved.
    has_letter = any(c.isalpha() for c in value)
    has_other = any(c.isdigit() or (not c.isalnum() and c not in "._-") for c in value)
    return has_letter and has_other


def _url_password(value: str) -> bool:
    return not _placeholder(value) and (_credential_value(value) or (len(value) >= 8 and entropy(value) >= 3.0))


_CREDENTIAL_WORDS = (
    r"pass(?:word|wd|phrase)?|pwd|secret|api[_.-]?key|apikey|api[_.-]?token|access[_.-]?key|secret[_.-]?key|"
    r"private[_.-]?key|client[_.-]?secret|auth[_.-]?token|access[_.-]?token|refresh[_.-]?token|bearer[_.-]?token|"
    r"token|credentials?|routing[_.-]?key|integration[_.-]?key|signing[_.-]?key|webhook[_.-]?secret"
)

RULES: tuple[Rule, ...] = (
    # --- cloud providers ----------------------------------------------------
    Rule(
        "aws-access-token",
        "an AWS access key id",
        r"((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})",
        ("akia", "asia", "abia", "acca", "a3t"),
        boundary=TOKEN,
    ),
    Rule("gcp-api-key", "a Google API key", r"(AIza[A-Za-z0-9_-]{35})", ("aiza",), entropy=3.5, boundary=TOKEN),
    Rule("gcp-service-account", "a Google service-account key file", r"(\"type\"\s*:\s*\"service_account\")", ("service_account",)),
    Rule("azure-storage-key", "an Azure storage account key", r"(?i)AccountKey=([A-Za-z0-9+/]{86}==)", ("accountkey",)),
    Rule(
        "azure-ad-client-secret",
        "a Microsoft Entra (Azure AD) client secret",
        r"([A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34})",
        ("q~",),
        boundary=TOKEN + "~.",
    ),
    Rule(
        "digitalocean-token",
        "a DigitalOcean token",
        r"(do[opr]_v1_[a-f0-9]{64})",
        ("do_v1_", "dop_v1_", "dor_v1_", "doo_v1_"),
        boundary=TOKEN,
    ),
    Rule("heroku-api-key-v2", "a Heroku API key", r"(HRKU-AA[0-9A-Za-z_-]{58})", ("hrku-aa",), boundary=TOKEN),
    Rule("alibaba-access-key-id", "an Alibaba Cloud access key id", r"(LTAI[A-Za-z0-9]{20})", ("ltai",), boundary=TOKEN),
    # --- source hosting, CI and package registries --------------------------
    Rule("github-pat", "a GitHub token", r"(gh[pousr]_[A-Za-z0-9_]{36,255})", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), boundary=TOKEN),
    Rule("github-fine-grained-pat", "a GitHub fine-grained token", r"(github_pat_[A-Za-z0-9_]{22,255})", ("github_pat_",), boundary=TOKEN),
    Rule(
        "gitlab-token",
        "a GitLab token",
        r"((?:glpat|gldt|glft|glsoat|glrt|glcbt|glimt|glptt|glagent|gloas|glffct)-[A-Za-z0-9_-]{20,})",
        ("glpat-", "gldt-", "glft-", "glsoat-", "glrt-", "glcbt-", "glimt-", "glptt-", "glagent-", "gloas-", "glffct-"),
        boundary=TOKEN,
    ),
    Rule("gitlab-runner-token", "a GitLab runner registration token", r"(GR1348941[A-Za-z0-9_-]{20,})", ("gr1348941",), boundary=TOKEN),
    Rule("npm-access-token", "an npm access token", r"(npm_[A-Za-z0-9]{36})", ("npm_",), boundary=TOKEN),
    Rule("pypi-upload-token", "a PyPI upload token", r"(pypi-AgE[A-Za-z0-9_-]{50,})", ("pypi-age",), boundary=TOKEN),
    Rule("rubygems-api-token", "a RubyGems API token", r"(rubygems_[a-f0-9]{48})", ("rubygems_",), boundary=TOKEN),
    Rule("docker-hub-pat", "a Docker Hub access token", r"(dckr_pat_[A-Za-z0-9_-]{27,})", ("dckr_pat_",), boundary=TOKEN),
    Rule(
        "artifactory-api-key",
        "a JFrog Artifactory key",
        r"(AKCp[A-Za-z0-9]{69}|AP[0-9A-F][A-Za-z0-9]{60,})",
        ("akcp", "ap"),
        entropy=3.5,
        boundary=TOKEN,
    ),
    Rule("hashicorp-vault-token", "a HashiCorp Vault token", r"(hv[sbr]\.[A-Za-z0-9_-]{24,})", ("hvs.", "hvb.", "hvr."), boundary=TOKEN),
    Rule(
        "hashicorp-tf-api-token",
        "a Terraform Cloud token",
        r"(?i)([a-z0-9]{14}\.atlasv1\.[a-z0-9_=-]{60,70})",
        ("atlasv1",),
        boundary=TOKEN,
    ),
    Rule("atlassian-api-token", "an Atlassian API token", r"(ATATT3[A-Za-z0-9_=-]{100,})", ("atatt3",), boundary=TOKEN),
    Rule("linear-api-key", "a Linear API key", r"(lin_api_[A-Za-z0-9]{40})", ("lin_api_",), boundary=TOKEN),
    # --- chat, paging and webhooks ------------------------------------------
    Rule("slack-config-token", "a Slack configuration token", r"(?i)(xoxe(?:\.xox[bp])?-[0-9]-[A-Z0-9]{100,})", ("xoxe",), boundary=TOKEN),
    Rule(
        "slack-token",
        "a Slack token",
        r"(xox[abposr]-[0-9A-Za-z-]{10,})",
        ("xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-"),
        boundary=TOKEN,
    ),
    Rule("slack-app-token", "a Slack app-level token", r"(?i)(xapp-[0-9]+-[A-Z0-9]+-[0-9]+-[A-Za-z0-9]+)", ("xapp-",), boundary=TOKEN),
    Rule(
        "slack-webhook-url",
        "a Slack webhook URL",
        r"(hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9]{1,32}/[A-Za-z0-9]{1,32}/[A-Za-z0-9]{16,64})",
        ("hooks.slack.com",),
    ),
    Rule(
        "microsoft-teams-webhook",
        "a Microsoft Teams webhook URL",
        r"(webhook\.office\.com/webhookb2/[^\s/]{1,200}/IncomingWebhook/[0-9a-fA-F]{32}/[^\s/]{1,200})",
        ("webhook.office.com",),
    ),
    Rule(
        "signed-url",
        "a signed URL (Power Automate, Logic Apps, Azure SAS, S3 or GCS pre-signed)",
        r"(?i)[?&](?:sig|signature|x-amz-signature|x-goog-signature)=([A-Za-z0-9_%+/=-]{20,})",
        ("sig=", "signature="),
    ),
    Rule(
        "discord-webhook",
        "a Discord webhook URL",
        r"((?:discord|discordapp)\.com/api/webhooks/[0-9]{15,22}/[A-Za-z0-9_-]{40,128})",
        ("discord",),
    ),
    Rule("telegram-bot-api-token", "a Telegram bot token", r"([0-9]{8,10}:AA[0-9A-Za-z_-]{33})", (":aa",), boundary=TOKEN),
    # --- payments, mail, observability, AI ----------------------------------
    Rule(
        "stripe-access-token",
        "a Stripe key",
        r"((?:sk|rk)_(?:test|live|prod)_[A-Za-z0-9]{10,99})",
        ("sk_test_", "sk_live_", "sk_prod_", "rk_test_", "rk_live_", "rk_prod_"),
        boundary=TOKEN,
    ),
    Rule(
        "square-token",
        "a Square token",
        r"((?:sq0atp|sq0csp)-[0-9A-Za-z_-]{22,43}|EAAA[A-Za-z0-9_-]{60})",
        ("sq0atp-", "sq0csp-", "eaaa"),
        boundary=TOKEN,
    ),
    Rule(
        "shopify-token",
        "a Shopify token",
        r"(shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})",
        ("shpat_", "shpca_", "shppa_", "shpss_"),
        boundary=TOKEN,
    ),
    Rule("twilio-api-key", "a Twilio API key", r"((?:SK|AC)[0-9a-fA-F]{32})", ("sk", "ac"), entropy=3.0, boundary=TOKEN),
    Rule("sendgrid-api-token", "a SendGrid API key", r"(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})", ("sg.",), boundary=TOKEN),
    Rule("mailchimp-api-key", "a Mailchimp API key", r"([0-9a-f]{32}-us[0-9]{1,2})", ("-us",), boundary=TOKEN),
    Rule("mailgun-private-api-token", "a Mailgun API key", r"(key-[0-9a-zA-Z]{32})", ("key-",), boundary=TOKEN),
    Rule("postman-api-token", "a Postman API key", r"(PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34})", ("pmak-",), boundary=TOKEN),
    Rule(
        "grafana-token",
        "a Grafana token",
        r"(glc_[A-Za-z0-9+/]{32,}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})",
        ("glc_", "glsa_"),
        boundary=TOKEN,
    ),
    Rule(
        "sentry-token", "a Sentry token", r"(sntrys_eyJ[A-Za-z0-9+/=_-]{60,}|sntryu_[a-f0-9]{64})", ("sntrys_", "sntryu_"), boundary=TOKEN
    ),
    Rule("new-relic-user-api-key", "a New Relic key", r"(NR(?:AK|II|JS)-[A-Za-z0-9]{19,32})", ("nrak-", "nrii-", "nrjs-"), boundary=TOKEN),
    Rule(
        "datadog-api-key",
        "a Datadog key",
        r"(?i)(?:dd|datadog)[_-]?(?:api|app)[_-]?key\W{1,5}([a-f0-9]{32,40})",
        ("datadog", "dd_", "dd-"),
        boundary=TOKEN,
    ),
    Rule(
        "openai-api-key",
        "an OpenAI API key",
        r"(sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}|sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,})",
        ("t3blbkfj", "sk-proj-", "sk-svcacct-", "sk-admin-"),
        boundary=TOKEN,
    ),
    Rule("anthropic-api-key", "an Anthropic API key", r"(sk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_-]{80,})", ("sk-ant-",), boundary=TOKEN),
    Rule("huggingface-access-token", "a Hugging Face token", r"(hf_[A-Za-z]{34})", ("hf_",), boundary=TOKEN),
    Rule("age-secret-key", "an age secret key", r"(AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})", ("age-secret-key-1",)),
    Rule(
        "ibm-cloud-iam-key",
        "an IBM Cloud API key",
        r"(?i)(?:ibm|iam)[_.-]?(?:cloud[_.-]?)?(?:api[_.-]?)?key\W{1,5}([A-Za-z0-9_-]{44})",
        ("ibm", "iam"),
        boundary=TOKEN,
    ),
    # --- generic shapes (after the named ones: a span one of those found is theirs) ---
    Rule("jwt", "a JSON Web Token", r"(eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})", ("eyj",), boundary=TOKEN),
    Rule(
        "private-key",
        "a private key",
        r"(-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----|PuTTY-User-Key-File-[0-9])",
        ("private key", "putty-user-key-file-"),
    ),
    Rule(
        # A key's body alone: the DER of every private-key format starts the same way.
        "private-key-body",
        "the body of a private key",
        r"((?:MII[A-Za-z0-9+/]{3}IBA(?:AK|DAN)|MIG[A-Za-z0-9+/]AgE(?:AM|BB)|M[A-Za-z0-9+/]{2}CAQ(?:AwBQYDK2V|EE)|b3BlbnNzaC1rZXktdjE)"
        r"[A-Za-z0-9+/]{32,})",
        ("ibaak", "ibadan", "agea", "ageb", "caqaw", "caqee", "b3blbnnzac1rzxktdje"),
        boundary=BASE64,
    ),
    Rule(
        "discord-bot-token",
        "a Discord bot token",
        r"([MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38})",
        entropy=3.5,
        boundary=TOKEN,
    ),
    Rule(
        "authorization-header",
        "a bearer token or basic credentials",
        r"(?i)(?:^|[^A-Za-z])(?:bearer|basic|token)\s{1,8}([A-Za-z0-9._~+/-]{20,}=*)",
        ("bearer", "basic", "token"),
        entropy=3.0,
    ),
    Rule(
        "url-credentials",
        "a password in a URL",
        r"(?i)(?:^|[^a-z0-9+.-])[a-z][a-z0-9+.-]{0,31}://[^\s/:@]{0,256}:([^\s/@]{1,256})@",
        ("://",),
        accept=_url_password,
    ),
    Rule(
        # A secret key alone: 40 characters of base64 that look random.
        "aws-secret-access-key",
        "an AWS secret access key",
        r"([A-Za-z0-9/+]{40})",
        entropy=4.3,
        accept=_mixed,
        boundary=BASE64,
    ),
    Rule(
        "generic-credential",
        "a credential assigned to a name like password or api_key",
        r"(?i)(?:^|[^a-z0-9])(?:[a-z0-9]{1,20}[_.-]){0,3}(?:" + _CREDENTIAL_WORDS + r")(?:[_.-][a-z0-9]{1,20}){0,3}[\"']?[ \t]{0,3}"
        r"(?:=|:|:=|=>)[ \t]{0,5}[\"'`]?([^\s\"'`,;]{6,200})",
        ("pass", "pwd", "secret", "key", "token", "credential"),
        entropy=2.5,
        accept=_credential_value,
    ),
)
