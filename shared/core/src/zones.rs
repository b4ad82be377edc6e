//! Which IANA zones a country spans, from the tz database's `zone1970.tab` (bundled).

use std::collections::HashMap;
use std::sync::OnceLock;

use jiff::tz::TimeZone;

const ZONE1970: &str = include_str!("../data/zone1970.tab");

fn table() -> &'static HashMap<&'static str, Vec<&'static str>> {
    static TABLE: OnceLock<HashMap<&'static str, Vec<&'static str>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut map: HashMap<&str, Vec<&str>> = HashMap::new();
        for line in ZONE1970.lines().filter(|l| !l.starts_with('#')) {
            let mut cols = line.split('\t');
            let (Some(countries), Some(_coords), Some(zone)) = (cols.next(), cols.next(), cols.next()) else {
                continue;
            };
            for country in countries.split(',') {
                map.entry(country).or_default().push(zone);
            }
        }
        map
    })
}

/// The zones used in `country` (ISO 3166-1 alpha-2), empty when unknown.
pub fn for_country(country: &str) -> Vec<TimeZone> {
    table()
        .get(country.to_ascii_uppercase().as_str())
        .map(|names| names.iter().filter_map(|n| jiff::tz::db().get(n).ok()).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portugal_spans_the_mainland_madeira_and_the_azores() {
        let names: Vec<_> = for_country("PT")
            .iter()
            .map(|z| z.iana_name().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["Europe/Lisbon", "Atlantic/Madeira", "Atlantic/Azores"]);
    }

    #[test]
    fn a_country_sharing_a_zone_with_its_neighbours_gets_that_zone() {
        let names: Vec<_> = for_country("dk")
            .iter()
            .map(|z| z.iana_name().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["Europe/Berlin"]);
    }

    #[test]
    fn an_unknown_country_has_no_zones() {
        assert!(for_country("XX").is_empty());
    }
}
