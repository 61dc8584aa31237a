//! Event kinds: the WIT `event-kind` a signature selects in its metadata, and the event
//! types' own [`Kind`]. Both list the kinds in the same order.

use crate::{EventKind, Kind, Metadata};

/// The kind a metadata entry selects.
pub fn kind(selected: EventKind) -> Kind {
    Kind::ALL[selected as usize]
}

/// Whether `metadata` selects `kind`: Vigil delivers only those.
pub fn selects(metadata: &Metadata, kind: Kind) -> bool {
    metadata.events.iter().any(|&k| self::kind(k) == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wit_kind_maps_to_the_kind_of_the_same_name() {
        for (i, k) in Kind::ALL.iter().enumerate() {
            let wit: EventKind = unsafe { std::mem::transmute::<u8, EventKind>(i as u8) };
            let wit_name = format!("{wit:?}").replace("EventKind::", "");
            let name: String = k
                .as_str()
                .split('_')
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                        .unwrap_or_default()
                })
                .collect();
            assert_eq!(wit_name, name);
            assert_eq!(kind(wit), *k);
        }
    }
}
