"""Vendor device adapters: decode what a vendor's device pushes into platform
events and hand them to the same idempotent ingest as MQTT (``events_store``)."""

from shequ.access.adapters.base import Decoded, VendorAdapter, VendorRecord, vendor_records_store

__all__ = ["Decoded", "VendorAdapter", "VendorRecord", "vendor_records_store"]
