from __future__ import annotations

from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from netcron.api.auth import INVENTORY_READ, INVENTORY_WRITE, require
from netcron.api.common import get_or_404, paginate
from netcron.inventory.models import Location

router = Router(tags=["inventory"])


class LocationIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    parent_id: int | None = None
    description: str = Field("", max_length=200)


class LocationOut(Schema):
    id: int
    name: str
    parent_id: int | None
    description: str


def _parent(payload: LocationIn, current: Location | None = None) -> Location | None:
    if payload.parent_id is None:
        return None
    parent = Location.objects.filter(pk=payload.parent_id).first()
    if parent is None:  # a bad reference in the body is a 422 naming the field, as for devices
        raise HttpError(422, f"parent_id: location {payload.parent_id} does not exist")
    node = parent
    while node is not None:  # a location cannot sit under itself
        if current is not None and node.pk == current.pk:
            raise HttpError(422, "parent_id: a location cannot be its own ancestor")
        node = node.parent
    return parent


@router.get("", summary="List locations")
def list_locations(request, q: str = "", page: int = 1, page_size: int = 100):
    require(request, INVENTORY_READ)
    qs = Location.objects.all()
    if q:
        qs = qs.filter(name__icontains=q)
    return paginate(qs, page, page_size, lambda o: LocationOut.model_validate(o).model_dump())


@router.post("", response={201: LocationOut}, summary="Create a location")
def create_location(request, payload: LocationIn):
    require(request, INVENTORY_WRITE)
    location = Location.objects.create(name=payload.name, parent=_parent(payload), description=payload.description)
    return Status(201, location)


@router.get("/{location_id}", response=LocationOut)
def get_location(request, location_id: int):
    require(request, INVENTORY_READ)
    return get_or_404(Location, location_id, "location")


@router.put("/{location_id}", response=LocationOut)
def update_location(request, location_id: int, payload: LocationIn):
    require(request, INVENTORY_WRITE)
    location = get_or_404(Location, location_id, "location")
    location.name, location.description = payload.name, payload.description
    location.parent = _parent(payload, location)
    location.save()
    return location


@router.delete("/{location_id}", response={204: None})
def delete_location(request, location_id: int):
    require(request, INVENTORY_WRITE)
    location = get_or_404(Location, location_id, "location")
    if location.children.exists():
        raise HttpError(409, "location has child locations; move or delete them first")
    location.delete()
    return Status(204, None)
