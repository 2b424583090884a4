"""The azure-native type tokens the policies judge."""

ACS = "azure-native:communication:CommunicationService"
EMAIL_SERVICE = "azure-native:communication:EmailService"
EMAIL_DOMAIN = "azure-native:communication:Domain"
RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
WORKSPACE = "azure-native:operationalinsights:Workspace"
DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting"
LOCK = "azure-native:authorization:ManagementLockByScope"
KEY_VAULT = "azure-native:keyvault:Vault"
KEY_VAULT_SECRET = "azure-native:keyvault:Secret"
SYSTEM_TOPIC = "azure-native:eventgrid:SystemTopic"
SYSTEM_TOPIC_SUBSCRIPTION = "azure-native:eventgrid:SystemTopicEventSubscription"
STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
BLOB_SERVICE = "azure-native:storage:BlobServiceProperties"
BLOB_CONTAINER = "azure-native:storage:BlobContainer"
PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint"
PRIVATE_DNS_ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup"
USER_ASSIGNED_IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"

# Event Grid system topics whose source is an ACS resource are global, like ACS itself.
ACS_TOPIC_TYPE = "Microsoft.Communication.CommunicationServices"

# The project's own dynamic resources that act on email domains.
DOMAIN_VERIFICATION = "pulumi-python:dynamic/emaildomains:DomainVerification"
LINKED_DOMAINS = "pulumi-python:dynamic/emaildomains:LinkedDomains"
PHONE_NUMBER_POOL = "pulumi-python:dynamic/numberpools:PhoneNumberPool"
# An ACS resource's Direct Routing: its SIP trunks and voice routes (docs/direct-routing.md).
SIP_ROUTING = "pulumi-python:dynamic/siprouting:SipRouting"

# The input that holds each type's Azure name: messages name a resource by it when it is known.
NAME_KEYS = {
    ACS: "communicationServiceName",
    EMAIL_SERVICE: "emailServiceName",
    EMAIL_DOMAIN: "domainName",
    KEY_VAULT: "vaultName",
    KEY_VAULT_SECRET: "secretName",
    SYSTEM_TOPIC: "systemTopicName",
    SYSTEM_TOPIC_SUBSCRIPTION: "eventSubscriptionName",
    STORAGE_ACCOUNT: "accountName",
    BLOB_CONTAINER: "containerName",
    WORKSPACE: "workspaceName",
    PRIVATE_ENDPOINT: "privateEndpointName",
    PRIVATE_DNS_ZONE_GROUP: "privateDnsZoneGroupName",
}
