//! Typed identifiers shared by the config tool and the hypervisor: a
//! partition's, a core's and a channel's number are different things, and
//! a table looked up with one of them answers `None` for an id outside it
//! (never a clamped neighbour).

use serde::{Deserialize, Serialize};

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u8);

        impl $name {
            /// The id as an index into its table.
            pub const fn index(self) -> usize {
                self.0 as usize
            }

            /// The id of table entry `i`, if `i` fits an id.
            pub fn from_index(i: usize) -> Option<Self> {
                u8::try_from(i).ok().map($name)
            }
        }

        impl From<&$name> for $crate::text::Arg<'_> {
            /// The number, in decimal.
            fn from(id: &$name) -> Self {
                $crate::text::Arg::Dec(u32::from(id.0))
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                $crate::text::display(self.into(), f)
            }
        }
    };
}

id!(
    /// A partition's number: its index in the system's partition table.
    PartitionId
);
id!(
    /// A core's number (`MPIDR.Aff0`).
    CoreId
);
id!(
    /// A channel's number: its index in the system's channel table.
    ChannelId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_index_their_tables_and_refuse_what_does_not_fit() {
        assert_eq!(PartitionId(3).index(), 3);
        assert_eq!(ChannelId::from_index(255), Some(ChannelId(255)));
        assert_eq!(CoreId::from_index(256), None);
    }

    #[test]
    fn an_id_serializes_as_its_number() {
        let mut buf = [0u8; 4];
        let used = postcard::to_slice(&PartitionId(7), &mut buf).unwrap();
        assert_eq!(used, &[7]);
    }
}
