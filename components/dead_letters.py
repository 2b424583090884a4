"""The stack's dead-letter storage: one account and container for the events no destination took.

Only identities write here (no account key can be used, or leaked), the account is closed to every
network (Event Grid writes as a trusted Azure service with each topic's identity), and soft delete
lets a dead letter, or the container, deleted by mistake be restored for a while."""

from dataclasses import dataclass

import pulumi
import pulumi_azure_native.storage as storage

from stackconfig.model import DeadLetterStorageConfig

from . import name_after

DEAD_LETTER_CONTAINER = "deadletters"


@dataclass(frozen=True)
class DeadLetters:
    account: storage.StorageAccount
    container: storage.BlobContainer
    blob_service: storage.BlobServiceProperties
    blob_service_id: pulumi.Output[str]  # what its diagnostic setting watches


def dead_letter_storage(
    name: str,
    settings: DeadLetterStorageConfig,
    *,
    resource_group_name: pulumi.Input[str],
    location: str,
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> DeadLetters:
    account = storage.StorageAccount(
        name,
        account_name=settings.account_name,
        resource_group_name=resource_group_name,
        location=location,
        kind="StorageV2",
        sku=storage.SkuArgs(name=settings.redundancy),
        enable_https_traffic_only=True,
        minimum_tls_version="TLS1_2",
        allow_blob_public_access=False,
        allow_shared_key_access=False,
        # Closed to every network. Event Grid writes dead letters with the topic's system-assigned
        # identity as a trusted Azure service, which `AzureServices` lets through the firewall.
        network_rule_set=storage.NetworkRuleSetArgs(default_action="Deny", bypass="AzureServices"),
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    account_name = name_after(account, settings.account_name)
    blob_service = storage.BlobServiceProperties(
        f"{name}-blobs",
        account_name=account_name,
        resource_group_name=resource_group_name,
        blob_services_name="default",
        delete_retention_policy=storage.DeleteRetentionPolicyArgs(enabled=True, days=settings.blob_soft_delete_days),
        container_delete_retention_policy=storage.DeleteRetentionPolicyArgs(
            enabled=True, days=settings.container_soft_delete_days
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    container = storage.BlobContainer(
        f"{name}-container",
        account_name=account_name,
        resource_group_name=resource_group_name,
        container_name=DEAD_LETTER_CONTAINER,
        public_access="None",
        opts=pulumi.ResourceOptions(parent=parent),
    )
    # The blob service's id is the account's and a fixed suffix: computed from the account, so a
    # diagnostic setting on it is known, in every preview, to watch this account's blobs.
    blob_service_id = account.id.apply(lambda account_id: f"{account_id}/blobServices/default")
    return DeadLetters(account, container, blob_service, blob_service_id)
