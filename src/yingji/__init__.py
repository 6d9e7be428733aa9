"""yingji (应急): the emergency-management platform of a prefecture-level government."""

__version__ = "0.1.0"
