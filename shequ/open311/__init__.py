"""Open311 GeoReport v2 at /open311/v2/: upper-level platforms list our services,
file service requests (which become cases on the ``open311`` channel) and follow them."""
