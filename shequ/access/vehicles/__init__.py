"""Vehicles at the car gate: plate decisions, the guard's call on held cars, the
in/out log and the occupancy count per complex."""

from shequ.access.vehicles.services import (
    DECISION_ALLOWED, DECISION_PENDING, DECISION_REFUSED, REASON_EXIT, REASON_HELD, REASON_REGISTERED,
    REASON_RESET, REASON_RESIDENT, Occupancy, PlateDecision, complex_of, plate_decide, plate_normalise,
    vehicle_held_decide, vehicle_occupancy, vehicle_occupancy_reset,
)

__all__ = [
    "DECISION_ALLOWED", "DECISION_PENDING", "DECISION_REFUSED", "Occupancy", "PlateDecision", "REASON_EXIT",
    "REASON_HELD", "REASON_REGISTERED", "REASON_RESET", "REASON_RESIDENT", "complex_of", "plate_decide",
    "plate_normalise", "vehicle_held_decide", "vehicle_occupancy", "vehicle_occupancy_reset",
]
