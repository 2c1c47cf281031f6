"""Uploaded pictures as the use cases need them: processed within the configured limits, one
at a time per worker process, written to the storage backend before their rows commit, and
removed again when those rows do not commit; plus the sweep for files that no row names.

Idea images are ``<key>_<size>.jpg`` with keys starting "i" (app.services.ideas), avatars
``avatars/<key>_<size>.jpg`` with keys starting "avatar-" (app.services.accounts).
"""
from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import select

from app import images, storage
from app.extensions import db

#: One upload is decoded at a time in each worker process, so that a worker's memory stays
#: bounded by one image's budget however many threads it runs (see README, "Images").
_PROCESSING = threading.Lock()


def process_upload(data: bytes, sizes: Mapping[str, int]) -> images.ProcessedImage:
    """Decode and re-encode an upload with the app's limits (IMAGE_MAX_BYTES, IMAGE_MAX_PIXELS,
    IMAGE_MAX_SIDE, IMAGE_MAX_ASPECT, IMAGE_MAX_DECODED_PIXELS). Raises images.ImageRejected."""
    config = current_app.config
    if len(data) > config["IMAGE_MAX_BYTES"]:  # refused before waiting for the lock
        raise images.ImageRejected("too_large")
    with _PROCESSING:
        return images.process_image(
            data, max_bytes=config["IMAGE_MAX_BYTES"], max_pixels=config["IMAGE_MAX_PIXELS"],
            max_side=config["IMAGE_MAX_SIDE"], max_aspect=config["IMAGE_MAX_ASPECT"],
            max_decoded_pixels=config["IMAGE_MAX_DECODED_PIXELS"], sizes=sizes)


def store(processed: images.ProcessedImage, prefix: str, folder: str = "") -> str:
    """Write the variants and return their new key. Their files are removed again if the
    current transaction does not commit, so add the row that names the key after this call
    (the row only exists once its files do). Raises StorageUnavailable."""
    backend = storage.get()
    key = images.store_image(processed, backend, prefix, folder)
    storage.keep_if_committed(images.variant_names(key, processed.variants, folder), backend)
    return key


def remove_after_commit(keys: Iterable[str], sizes: Iterable[str], folder: str = "") -> None:
    """Delete the variants of image ``keys`` once the current transaction commits."""
    sizes = list(sizes)
    names = [name for key in keys for name in images.variant_names(key, sizes, folder)]
    if names:
        storage.delete_after_commit(names)


# --- orphans --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Family:
    """A kind of stored picture: where its files are and which column names their keys."""

    name: str
    folder: str
    pattern: re.Pattern[str]
    column: object  # the model attribute holding the key


def families() -> tuple[Family, ...]:
    from app.models import Campaign, IdeaImage, SessionPhoto, User
    from app.services import accounts, campaigns, ideas, sessions

    def pattern(folder: str, prefix: str, sizes: Iterable[str]) -> re.Pattern[str]:
        sizes_alt = "|".join(re.escape(size) for size in sizes)
        where = re.escape(folder) + "/" if folder else ""
        return re.compile(rf"{where}(?P<key>{re.escape(prefix)}[A-Za-z0-9_-]+?)_(?:{sizes_alt})"
                          rf"{re.escape(images.OUTPUT_EXTENSION)}")

    return (
        Family("idea image", "", pattern("", ideas.IMAGE_KEY_PREFIX, ideas.IMAGE_SIZES),
               IdeaImage.key),
        Family("avatar", accounts.AVATAR_SUBFOLDER,
               pattern(accounts.AVATAR_SUBFOLDER, accounts.AVATAR_PREFIX, accounts.AVATAR_SIZES),
               User.avatar_key),
        Family("session photo", sessions.PHOTO_FOLDER,
               pattern(sessions.PHOTO_FOLDER, sessions.PHOTO_PREFIX, sessions.PHOTO_SIZES),
               SessionPhoto.key),
        Family("campaign cover", campaigns.COVER_FOLDER,
               pattern(campaigns.COVER_FOLDER, campaigns.COVER_PREFIX, campaigns.COVER_SIZES),
               Campaign.cover_key),
    )


@dataclass
class Sweep:
    """What `flask media orphans` found: files no row names (older than the grace period),
    unfinished temporary files, and how many were left alone as too recent."""

    orphans: list[storage.StoredFile] = field(default_factory=list)
    recent: int = 0
    checked: int = 0
    deleted: int = 0

    @property
    def orphan_bytes(self) -> int:
        return sum(item.size for item in self.orphans)


def _temporary(key: str) -> bool:
    return key.rsplit("/", 1)[-1].startswith(storage.LocalStorage.TEMP_PREFIX)


def find_orphans(grace: timedelta = timedelta(hours=1), *,
                 now: datetime | None = None) -> Sweep:
    """Stored picture files whose key no row names, and temporary files left by a crash.

    Files younger than ``grace`` are never counted: their upload may still be committing.
    Files that match no known kind of picture are left alone. The listing is read before the
    rows, so a file whose row commits meanwhile is seen with its row.
    """
    cutoff = (now or datetime.now(UTC)) - grace
    kinds = families()
    listing = list(storage.get().list())
    referenced: dict[str, set[str]] = {}
    for kind in kinds:
        referenced[kind.name] = set(db.session.scalars(
            select(kind.column).where(kind.column.is_not(None))))  # type: ignore[attr-defined]
    sweep = Sweep()
    for item in listing:
        if _temporary(item.key):
            orphan = True
        else:
            match = next(((kind, m) for kind in kinds if (m := kind.pattern.fullmatch(item.key))),
                         None)
            if match is None:
                continue  # not ours to judge
            kind, found = match
            orphan = found.group("key") not in referenced[kind.name]
        sweep.checked += 1
        if not orphan:
            continue
        if item.modified > cutoff:
            sweep.recent += 1
            continue
        sweep.orphans.append(item)
    return sweep


def delete_orphans(sweep: Sweep) -> Sweep:
    """Delete what find_orphans() found; files already gone count as deleted (idempotent)."""
    backend = storage.get()
    for item in sweep.orphans:
        backend.delete(item.key)
        sweep.deleted += 1
    return sweep
