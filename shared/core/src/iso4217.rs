//! The active ISO 4217 currency codes (List One), against which every producer's currency is checked.

/// Alphabetic codes of ISO 4217 List One in force (amendments to 2025: `XCG` replaces `ANG`,
/// `ZWG` replaces `ZWL`, `SLE` replaces `SLL`, `VED` beside `VES`), fund and metal codes
/// included, sorted so a lookup is a binary search. `BGN` and `CUC` stay until ISO withdraws
/// them from List One; `XAD` (the Arab Accounting Dinar, 2025) is in. Checked on 2026-12-01
/// against the iso-codes data shipped by PyPI's `pycountry` 26.2.16, which lists the same
/// codes but `BGN` and `CUC`. Update with each ISO amendment.
pub const ACTIVE: [&str; 180] = [
    "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD", "BIF", "BMD",
    "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP",
    "CNY", "COP", "COU", "CRC", "CUC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR",
    "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS",
    "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT",
    "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP",
    "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE",
    "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS",
    "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND", "VUV", "WST", "XAD", "XAF", "XAG",
    "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR", "XOF", "XPD", "XPF", "XPT", "XSU", "XTS", "XUA", "XXX",
    "YER", "ZAR", "ZMW", "ZWG",
];

/// Whether `code` is an active ISO 4217 alphabetic code.
pub fn is_active(code: &str) -> bool {
    ACTIVE.binary_search(&code).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_without_duplicates_so_binary_search_works() {
        assert!(ACTIVE.windows(2).all(|w| w[0] < w[1]));
        assert!(
            ACTIVE
                .iter()
                .all(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
        );
    }

    #[test]
    fn codes_in_use_are_found_and_made_up_or_withdrawn_ones_are_not() {
        for c in ["EUR", "USD", "GBP", "AED", "BRL", "JPY", "CHF", "XCG", "ZWG"] {
            assert!(is_active(c), "{c}");
        }
        for c in ["XXZ", "EUE", "ABC", "ANG", "ZWL", "DEM", "PTE", "eur"] {
            assert!(!is_active(c), "{c}");
        }
    }
}
