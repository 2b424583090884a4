"""The DNS records a custom email domain needs in its Azure DNS zone, from the domain's
`verificationRecords`: pure functions, so the record sets can be checked before any exist.

- Domain verification and SPF are both TXT at the domain's apex: one record set holds them and
  every other apex TXT value the stack declares, and there is only ever one SPF record.
- DKIM and DKIM2 are CNAMEs; DMARC is a TXT at `_dmarc` when the stack configures one.
"""

from dataclasses import dataclass

TXT_CHUNK = 255  # a TXT string is at most 255 characters; longer values are several strings
SPF_PREFIX = "v=spf1"


@dataclass(frozen=True)
class DnsRecord:
    """A record as ACS asks for it, or as the stack declares it."""

    type: str  # TXT or CNAME
    name: str  # relative to the domain: "@" for the domain itself
    value: str
    ttl: int = 3600


def relative_name(record_name: str, domain: str, zone: str) -> str:
    """The record set name in `zone` for a record named relative to `domain` ("@" for its apex),
    or given in full (ending with the domain)."""
    name = record_name.rstrip(".")
    if name in ("@", "", domain):
        name = "@"
    elif name.endswith(f".{domain}"):
        name = name[: -len(domain) - 1]
    if domain == zone:
        return name
    below_zone = domain[: -len(zone) - 1]  # mail.contoso.com in contoso.com: "mail"
    return below_zone if name == "@" else f"{name}.{below_zone}"


def merge_spf(existing: str, required: str) -> str:
    """One SPF record with the mechanisms of both: the existing record's qualifier for `all` wins,
    since whoever runs the domain chose it."""
    mechanisms = [term for term in existing.split()[1:] if not term.lstrip("+-~?").startswith("all")]
    ending = [term for term in existing.split()[1:] if term.lstrip("+-~?") == "all"]
    for term in required.split()[1:]:
        if term.lstrip("+-~?") != "all" and term not in mechanisms:
            mechanisms.append(term)
    if not ending:
        ending = [term for term in required.split()[1:] if term.lstrip("+-~?") == "all"]
    return " ".join([SPF_PREFIX, *mechanisms, *ending])


def apex_txt_values(verification: str, spf: str, declared: list[str]) -> list[str]:
    """The apex TXT values: the domain verification value, one SPF record (merged with a declared
    one), and the other declared values, in that order and without repeats."""
    declared_spf = [v for v in declared if v.startswith(SPF_PREFIX)]
    merged_spf = merge_spf(declared_spf[0], spf) if declared_spf else spf
    values = [verification, merged_spf, *(v for v in declared if not v.startswith(SPF_PREFIX))]
    return list(dict.fromkeys(values))


def txt_strings(value: str) -> list[str]:
    """A TXT value as the strings DNS carries it in."""
    return [value[i : i + TXT_CHUNK] for i in range(0, len(value), TXT_CHUNK)] or [""]
