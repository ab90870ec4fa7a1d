//! The guard of a transient mapping: [`Mapping`] undoes its map when it is
//! dropped, so no caller can forget an unmap or discard its error.

use super::{Band, MapError};

/// What a map returned: the address to use and the band of the region that
/// holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapped {
    /// The address to use: the base asked for, not widened.
    pub addr: u32,
    /// [`Band::Transient`] when the map was counted and an unmap must undo
    /// it; [`Band::Static`] or [`Band::Partition`] for an inclusive match on
    /// such a region, which records nothing and has nothing to undo.
    pub band: Band,
    /// The MPU region (table slot) that holds it, below
    /// [`MAX_REGIONS`](super::MAX_REGIONS): where the unmap looks first
    /// ([`MpuMap::unmap_at`](super::MpuMap::unmap_at)).
    pub slot: u8,
}

/// Where a map put a range: a [`Mapped`] without its address (the base the
/// map was given). Two bytes, so a result with a [`MapError`] (4 bytes) is
/// one register ([`MpuMap::place`](super::MpuMap::place) returns it; the
/// target's usual map returns just the slot, with the table, in two).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placed {
    /// As [`Mapped::band`].
    pub band: Band,
    /// As [`Mapped::slot`].
    pub slot: u8,
}

impl Placed {
    /// The [`Mapped`] of a map that was given `addr`.
    #[inline(always)]
    pub fn at(self, addr: u32) -> Mapped {
        Mapped {
            addr,
            band: self.band,
            slot: self.slot,
        }
    }
}

// A map's result without its address fits one register.
const _: () = assert!(core::mem::size_of::<Result<Placed, MapError>>() <= 4);

/// Whatever undoes a transient mapping: on the target, the calling core's
/// table of the running hypervisor (`hyp::mpu`); in the host tests, a
/// table of the fake. It is a handle to that table (a reference, a core
/// number), so it is `Copy`.
pub trait Unmap: Copy {
    /// Undoes one map that returned `base` (an unmap on the table and core
    /// that made it).
    fn unmap(&self, base: u32) -> Result<(), MapError>;

    /// [`unmap`](Unmap::unmap) of `base`, whose map said its region is in
    /// `slot`: an implementation may look there first, as long as the
    /// result is what [`unmap`](Unmap::unmap) would give. By default,
    /// `unmap`.
    #[inline(always)]
    fn unmap_slot(&self, base: u32, slot: usize) -> Result<(), MapError> {
        let _ = slot;
        self.unmap(base)
    }

    /// A dropped [`Mapping`] at `base` could not be unmapped: the
    /// hypervisor's own table no longer matches what it handed out. The
    /// target reports `error` and stops (fail-stop); a test fake records it.
    fn unmap_failed(&self, base: u32, error: MapError);
}

/// A live map: the address to use, and the unmap it owes. Dropping it
/// unmaps (a failure goes to [`Unmap::unmap_failed`]);
/// [`unmap`](Mapping::unmap) does the same and returns the error instead.
///
/// A map that matched a static or partition region as is was not counted,
/// so its `Mapping` has nothing to undo and dropping it does nothing.
#[must_use = "dropping a Mapping unmaps it at once"]
#[derive(Debug)]
pub struct Mapping<U: Unmap> {
    /// The address the map returned, which is what unmap takes.
    base: u32,
    /// The band of the region that holds it.
    band: Band,
    /// The slot of that region (where the unmap looks first).
    slot: u8,
    /// Who undoes it, if the band is [`Band::Transient`] (otherwise there
    /// is nothing to undo).
    owner: U,
}

impl<U: Unmap> Mapping<U> {
    /// The guard of what a map returned, to be undone through `owner` if
    /// the map was counted (a transient region).
    #[inline(always)]
    pub fn new(mapped: Mapped, owner: U) -> Self {
        Mapping {
            base: mapped.addr,
            band: mapped.band,
            slot: mapped.slot,
            owner,
        }
    }

    /// The address to use (the base the map was asked for).
    #[inline]
    pub fn addr(&self) -> u32 {
        self.base
    }

    /// The band of the region that holds the mapping.
    #[inline]
    pub fn band(&self) -> Band {
        self.band
    }

    /// Unmaps now and returns the unmap's result, for callers that handle
    /// the error themselves (nothing is reported then). `Ok` when there was
    /// nothing to undo.
    #[inline(always)]
    pub fn unmap(self) -> Result<(), MapError> {
        let (base, band, slot, owner) = (self.base, self.band, self.slot, self.owner);
        // The unmap is made here: skip `drop`, so an explicit unmap costs
        // what a raw one does.
        core::mem::forget(self);
        if band == Band::Transient {
            owner.unmap_slot(base, usize::from(slot))
        } else {
            Ok(())
        }
    }

    /// The address of a window of the static band, which is never unmapped,
    /// to keep for the rest of the run (the console); the mapping back if it
    /// is anything else.
    pub fn into_static(self) -> Result<u32, Self> {
        if self.band == Band::Static {
            Ok(self.base)
        } else {
            Err(self)
        }
    }
}

impl<U: Unmap> Drop for Mapping<U> {
    /// Unmaps; a failure is handed to [`Unmap::unmap_failed`].
    #[inline(always)]
    fn drop(&mut self) {
        if self.band == Band::Transient {
            if let Err(error) = self.owner.unmap_slot(self.base, usize::from(self.slot)) {
                failed(self.owner, self.base, error);
            }
        }
    }
}

/// The failure path of a drop, kept out of line so the drop inlines to the
/// unmap call alone.
#[cold]
#[inline(never)]
fn failed<U: Unmap>(owner: U, base: u32, error: MapError) {
    owner.unmap_failed(base, error);
}
