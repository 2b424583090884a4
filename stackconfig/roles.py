"""Built-in Azure roles that may be granted on an ACS resource, by the name people know them by.

Role assignments name a role the way the portal does ("Communication and Email Service Owner");
ARM wants the role definition's GUID. The GUIDs are fixed for built-in roles across all tenants.
"""

from .azure_rules import GUID

BUILT_IN_ROLES: dict[str, str] = {
    "Communication and Email Service Owner": "09976791-48a7-449e-bb21-39d1a415f350",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Monitoring Reader": "43d0d8ad-25c7-4714-9337-8ba259a9fe05",
    "Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "Role Based Access Control Administrator": "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    "User Access Administrator": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
}

# Roles the platform grants by itself, on the narrowest scope that works.
KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
STORAGE_QUEUE_DATA_MESSAGE_SENDER = "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a"
SERVICE_BUS_DATA_SENDER = "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39"
EVENT_HUBS_DATA_SENDER = "2b629674-e913-4c01-ae53-ef4638d8f975"

ROLE_DEFINITION_ID_MARKER = "/providers/Microsoft.Authorization/roleDefinitions/"


def role_definition_guid(role: str) -> str:
    """The role definition GUID for a built-in role name, a GUID, or a role definition id.

    Raises ValueError naming what is accepted when the role is none of these.
    """
    if role in BUILT_IN_ROLES:
        return BUILT_IN_ROLES[role]
    candidate = role.rsplit(ROLE_DEFINITION_ID_MARKER, 1)[-1] if ROLE_DEFINITION_ID_MARKER in role else role
    if GUID.match(candidate):
        return candidate.lower()
    raise ValueError(
        "is not a built-in role name, a role definition GUID or a role definition id; "
        f"built-in roles: {', '.join(sorted(BUILT_IN_ROLES))}"
    )


def role_display_name(role: str) -> str:
    """The built-in role's name when the GUID is one of ours, else the role as configured."""
    guid = role_definition_guid(role)
    names = {v: k for k, v in BUILT_IN_ROLES.items()}
    return names.get(guid, role)
