"""Units, users, docking stations, cameras and assignments."""

from __future__ import annotations

from fastapi import APIRouter, UploadFile, status
from sqlalchemy import select

from api.deps import DB, IP, Admin, AdminOrSupervisor, AnyUser, StationCaller, read_upload
from api.routes.accounts import with_login_state
from evidence import flows
from evidence.config import get_settings
from evidence.actors import user_actor
from evidence.devices import service as devices
from evidence.devices.models import Device
from evidence.devices.schemas import ClockOffsetIn, ClockOffsetOut, DeviceIn, DeviceOut, ImportOut
from evidence.errors import Invalid
from evidence.identity import service as identity, station_health
from evidence.identity.models import Station, Unit, User
from evidence.identity.schemas import (HeartbeatIn, StationCreated, StationIn, StationOut, UnitIn, UnitOut,
                                       UserIn, UserOut)
from evidence.recordings import clock
from evidence.timeutil import utcnow
from evidence.types import Id

router = APIRouter(prefix="/api/v1", tags=["administration"])


@router.post("/units", response_model=UnitOut, status_code=status.HTTP_201_CREATED,
             summary="Create a unit (who: admin)")
def create_unit(body: UnitIn, db: DB, admin: Admin, ip: IP) -> UnitOut:
    unit = identity.create_unit(db, user_actor(admin, ip), body.code, body.name, body.level, body.parent_code)
    db.commit()
    return UnitOut.model_validate(unit)


@router.get("/units", response_model=list[UnitOut], summary="List units (who: any user)")
def list_units(db: DB, _: AnyUser) -> list[UnitOut]:
    return [UnitOut.model_validate(u) for u in db.scalars(select(Unit).order_by(Unit.id))]


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED,
             summary="Create a user (who: admin)")
def create_user(body: UserIn, db: DB, admin: Admin, ip: IP) -> UserOut:
    user = identity.create_user(db, user_actor(admin, ip), body.police_id, body.name, body.role, body.password,
                                body.unit_code)
    db.commit()
    return UserOut.model_validate(user)


@router.get("/users", response_model=list[UserOut],
            summary="List users, with failed logins and locks (who: admin)")
def list_users(db: DB, _: Admin) -> list[UserOut]:
    return with_login_state(db, list(db.scalars(select(User).order_by(User.id))))


@router.post("/stations", response_model=StationCreated, status_code=status.HTTP_201_CREATED,
             summary="Register a docking station; the API key is shown once (who: admin)")
def register_station(body: StationIn, db: DB, admin: Admin, ip: IP) -> StationCreated:
    station, key = identity.register_station(db, user_actor(admin, ip), body.name, body.unit_code, admin.id)
    db.commit()
    return StationCreated(**StationOut.model_validate(station).model_dump(), api_key=key)


@router.get("/stations", response_model=list[StationOut],
            summary="List docking stations with their health: last heartbeat, agent version, spool, queue, last "
                    "error, silent (失联) (who: admin)")
def list_stations(db: DB, _: Admin) -> list[StationOut]:
    now, minutes = utcnow(), get_settings().station_silent_minutes
    return [StationOut.model_validate(s).model_copy(update={"health": station_health.health(s, now, minutes)})
            for s in db.scalars(select(Station).order_by(Station.id))]


@router.post("/stations/heartbeat", response_model=StationOut,
             summary="Report the dock agent's state: version, spool, queue, last error (who: station)")
def heartbeat(body: HeartbeatIn, db: DB, station: StationCaller) -> StationOut:
    identity.record_heartbeat(db, station, body.version, body.spool_used_bytes, body.spool_free_bytes,
                              body.queue_length, body.last_error)
    db.commit()
    return StationOut.model_validate(station)


@router.post("/stations/{station_id}/revoke", response_model=StationOut,
             summary="Revoke a station's API key (who: admin)")
def revoke_station(station_id: Id, db: DB, admin: Admin, ip: IP) -> StationOut:
    station = identity.revoke_station(db, user_actor(admin, ip), station_id)
    db.commit()
    return StationOut.model_validate(station)


@router.post("/devices", response_model=DeviceOut, status_code=status.HTTP_201_CREATED,
             summary="Register a camera (who: admin)")
def create_device(body: DeviceIn, db: DB, admin: Admin, ip: IP) -> DeviceOut:
    device = devices.create_device(db, user_actor(admin, ip), body.serial, body.model, body.unit_code)
    db.commit()
    return DeviceOut.model_validate(device)


@router.get("/devices", response_model=list[DeviceOut], summary="List cameras (who: admin, supervisor)")
def list_devices(db: DB, _: AdminOrSupervisor) -> list[DeviceOut]:
    return [DeviceOut.model_validate(d) for d in db.scalars(select(Device).order_by(Device.id))]


@router.post("/devices/{serial}/clock-offset", response_model=ClockOffsetOut,
             summary="Set a camera's clock offset: its flagged recordings move to their true time (who: admin)")
def set_clock_offset(serial: str, body: ClockOffsetIn, db: DB, admin: Admin, ip: IP) -> ClockOffsetOut:
    if body.offset_seconds is not None:
        offset = body.offset_seconds
    elif body.device_time is not None and body.actual_time is not None:
        offset = clock.offset_from(body.device_time, body.actual_time)
    else:
        raise Invalid("give device_time and actual_time (what the camera showed, and the true time then), "
                      "or offset_seconds")
    out = flows.set_device_offset(db, user_actor(admin, ip), serial, offset, body.only_uncorrected)
    db.commit()
    return ClockOffsetOut(**out)


@router.post("/device-assignments/import", response_model=ImportOut,
             summary="Import camera assignments from CSV device_id,police_id,assigned_from,assigned_to (who: admin)")
async def import_assignments(file: UploadFile, db: DB, admin: Admin, ip: IP) -> ImportOut:
    raw = await read_upload(file, 20, "CSV")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("CSV must be UTF-8 encoded") from None
    report = flows.import_assignments_csv(db, user_actor(admin, ip), text)
    db.commit()
    return ImportOut(imported=report.imported, updated=report.updated, errors=report.errors)
