"""DNS records for custom email domains: apex TXT merge, one SPF, DKIM CNAMEs, DMARC."""

import pytest

from components.email_dns import apex_txt_values, merge_spf, relative_name, txt_strings

ACS_SPF = "v=spf1 include:spf.protection.outlook.com -all"


@pytest.mark.parametrize(
    ("record", "domain", "zone", "expected"),
    [
        ("@", "contoso.com", "contoso.com", "@"),
        ("contoso.com", "contoso.com", "contoso.com", "@"),
        (
            "selector1-azurecomm-prod-net._domainkey",
            "contoso.com",
            "contoso.com",
            "selector1-azurecomm-prod-net._domainkey",
        ),
        ("@", "mail.contoso.com", "contoso.com", "mail"),
        (
            "selector1-azurecomm-prod-net._domainkey",
            "mail.contoso.com",
            "contoso.com",
            "selector1-azurecomm-prod-net._domainkey.mail",
        ),
        ("_dmarc.mail.contoso.com.", "mail.contoso.com", "contoso.com", "_dmarc.mail"),
        ("_dmarc", "eu.mail.contoso.com", "contoso.com", "_dmarc.eu.mail"),
    ],
)
def test_record_names_are_relative_to_the_zone(record, domain, zone, expected):
    assert relative_name(record, domain, zone) == expected


def test_acs_joins_an_existing_spf_record_which_keeps_its_own_all():
    merged = merge_spf("v=spf1 include:_spf.google.com ~all", ACS_SPF)
    assert merged == "v=spf1 include:_spf.google.com include:spf.protection.outlook.com ~all"


def test_merging_the_same_spf_twice_changes_nothing():
    assert merge_spf(ACS_SPF, ACS_SPF) == ACS_SPF


def test_an_spf_record_without_all_takes_acss():
    assert (
        merge_spf("v=spf1 ip4:203.0.113.0/24", ACS_SPF)
        == "v=spf1 ip4:203.0.113.0/24 include:spf.protection.outlook.com -all"
    )


def test_the_apex_holds_verification_one_spf_and_every_declared_value():
    declared = ["google-site-verification=abc", "v=spf1 include:_spf.google.com ~all"]
    values = apex_txt_values("ms-domain-verification=123", ACS_SPF, declared)
    assert values == [
        "ms-domain-verification=123",
        "v=spf1 include:_spf.google.com include:spf.protection.outlook.com ~all",
        "google-site-verification=abc",
    ]
    assert sum(v.startswith("v=spf1") for v in values) == 1


def test_without_declared_values_the_apex_holds_verification_and_acss_spf():
    assert apex_txt_values("ms-domain-verification=123", ACS_SPF, []) == ["ms-domain-verification=123", ACS_SPF]


def test_long_txt_values_are_split_into_255_character_strings():
    assert [len(s) for s in txt_strings("x" * 600)] == [255, 255, 90]
    assert txt_strings("short") == ["short"]
