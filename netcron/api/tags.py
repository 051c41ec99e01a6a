from __future__ import annotations

from ninja import Router, Schema, Status
from pydantic import Field

from netcron.api.auth import INVENTORY_READ, INVENTORY_WRITE, require
from netcron.api.common import get_or_404, paginate
from netcron.inventory.models import Tag

router = Router(tags=["inventory"])


class TagIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    color: str = Field("", pattern=r"^(#[0-9a-fA-F]{6})?$")
    description: str = Field("", max_length=200)


class TagOut(Schema):
    id: int
    name: str
    color: str
    description: str


@router.get("", summary="List tags")
def list_tags(request, q: str = "", page: int = 1, page_size: int = 100):
    require(request, INVENTORY_READ)
    qs = Tag.objects.all()
    if q:
        qs = qs.filter(name__icontains=q)
    return paginate(qs, page, page_size, lambda o: TagOut.model_validate(o).model_dump())


@router.post("", response={201: TagOut})
def create_tag(request, payload: TagIn):
    require(request, INVENTORY_WRITE)
    return Status(201, Tag.objects.create(**payload.model_dump()))


@router.get("/{tag_id}", response=TagOut)
def get_tag(request, tag_id: int):
    require(request, INVENTORY_READ)
    return get_or_404(Tag, tag_id, "tag")


@router.put("/{tag_id}", response=TagOut)
def update_tag(request, tag_id: int, payload: TagIn):
    require(request, INVENTORY_WRITE)
    tag = get_or_404(Tag, tag_id, "tag")
    for key, value in payload.model_dump().items():
        setattr(tag, key, value)
    tag.save()
    return tag


@router.delete("/{tag_id}", response={204: None})
def delete_tag(request, tag_id: int):
    require(request, INVENTORY_WRITE)
    get_or_404(Tag, tag_id, "tag").delete()
    return Status(204, None)
