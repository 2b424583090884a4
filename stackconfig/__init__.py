"""The stack configuration: a typed model, validated whole before any resource is declared."""

from .errors import ConfigError
from .interface import RoleAssignmentConfig
from .loader import load_stack_config
from .model import InstanceConfig, StackConfig

__all__ = ["ConfigError", "InstanceConfig", "RoleAssignmentConfig", "StackConfig", "load_stack_config"]
