"""Location use-cases."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.db.models import Location
from services.stock.db.queries import location_by_code, locations_by_ids
from services.stock.domain.model import GROUPING_TYPES, LocationType
from services.stock.schemas import PHYSICAL_TYPES, LocationCreate, LocationOut
from shared.db.paging import page_by_id, where_equal
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import AlreadyExists, FieldError, InvalidInput, NotFound
from shared.http.pagination import PageParams


def to_out(location: Location, parent: Location | None) -> LocationOut:
    return LocationOut(
        id=location.id,
        code=location.code,
        name=location.name,
        location_type=location.location_type,
        parent_code=parent.code if parent else None,
        is_virtual=location.is_virtual,
        active=location.active,
        version=location.version,
        created_at=location.created_at,
    )


def stock_location_error(field: str, code: str, location: Location | None) -> FieldError | None:
    """Why a document may not post stock at `location` (found by `code`), or None if it may.

    Stock lives only at existing, active, physical locations that are not grouping nodes
    (a warehouse holds its stock in the areas and bins below it).
    """
    if location is None:
        return FieldError(field, f"no location {code!r}", "not_found")
    if location.is_virtual:
        return FieldError(field, f"{code} is a virtual location; name a physical one")
    if not location.active:
        return FieldError(field, f"location {code} is not active")
    if LocationType(location.location_type) in GROUPING_TYPES:
        return FieldError(
            field,
            f"{code} is a {location.location_type}: it groups other locations and holds no "
            "stock; name an area or bin under it",
        )
    return None


async def create_location(uow: UnitOfWork, data: LocationCreate) -> LocationOut:
    """Create a physical location, optionally under a parent; a warehouse is top-level."""
    errors: list[FieldError] = []
    if data.location_type not in PHYSICAL_TYPES:
        errors.append(FieldError("body.location_type", "virtual locations cannot be created"))
    if data.location_type in GROUPING_TYPES and data.parent_code is not None:
        errors.append(
            FieldError("body.parent_code", "a warehouse is a top-level location: send no parent")
        )
    async with uow:
        parent = None
        if data.parent_code is not None:
            parent = await location_by_code(uow.session, data.parent_code)
            if parent is None or parent.is_virtual:
                errors.append(FieldError("body.parent_code", "no such physical location"))
        if errors:
            raise InvalidInput(f"{len(errors)} field(s) are not valid", errors=errors)
        if await location_by_code(uow.session, data.code) is not None:
            raise _duplicate(data.code)
        location = Location(
            code=data.code,
            name=data.name,
            location_type=data.location_type.value,
            parent_id=parent.id if parent else None,
            is_virtual=False,
            active=True,
            created_at=utcnow(),
        )
        uow.session.add(location)
        try:
            await uow.session.flush()
        except IntegrityError as exc:
            raise _duplicate(data.code) from exc
        out = to_out(location, parent)
        await uow.audit("create", "location", str(location.id), after=out.model_dump(mode="json"))
        uow.emit("LocationCreated", "location", str(location.id), out.model_dump(mode="json"))
        await uow.commit()
        return out


async def get_location(
    session: AsyncSession, *, location_id: int | None = None, code: str | None = None
) -> LocationOut:
    if code is not None:
        location = await location_by_code(session, code)
    else:
        location = await session.get(Location, location_id)
    if location is None:
        raise NotFound(f"location {code or location_id} does not exist")
    parents = await locations_by_ids(session, [location.parent_id] if location.parent_id else [])
    return to_out(location, parents.get(location.parent_id or 0))


async def list_locations(
    session: AsyncSession, page: PageParams, *, location_type: str | None, include_virtual: bool
) -> tuple[list[LocationOut], str | None]:
    query = where_equal(select(Location), {Location.location_type: location_type})
    if not include_virtual:
        query = query.where(Location.is_virtual.is_(False))
    items, cursor = await page_by_id(session, query, Location.id, page)
    parents = await locations_by_ids(session, [loc.parent_id for loc in items if loc.parent_id])
    return [to_out(loc, parents.get(loc.parent_id or 0)) for loc in items], cursor


async def list_children(
    session: AsyncSession, location_id: int, page: PageParams
) -> tuple[list[LocationOut], str | None]:
    """The locations directly under `location_id` (inactive ones too), by id."""
    parent = await session.get(Location, location_id)
    if parent is None:
        raise NotFound(f"location {location_id} does not exist")
    query = select(Location).where(Location.parent_id == parent.id)
    items, cursor = await page_by_id(session, query, Location.id, page)
    return [to_out(loc, parent) for loc in items], cursor


def _duplicate(code: str) -> AlreadyExists:
    return AlreadyExists(
        f"a location with the code {code!r} already exists",
        errors=[FieldError("body.code", "already used by another location", "unique")],
    )
