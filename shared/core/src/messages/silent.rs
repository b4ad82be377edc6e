//! ICU4X's compiled data asked with silent requests, so a locale without a currency's symbol falls back to its ISO code without a log line.

use icu::decimal::provider::{Baked as DecimalBaked, DecimalDigitsV1, DecimalSymbolsV1};
use icu_experimental::dimension::provider::currency::essentials::CurrencyEssentialsV1;
use icu_experimental::dimension::provider::currency::fractions::CurrencyFractionsV1;
use icu_experimental::dimension::provider::currency::no_currency::CurrencyPatternsNoCurrencyV1;
use icu_experimental::dimension::provider::currency::symbols::{CurrencyDecimalSymbolsV1, CurrencySymbolsV1};
use icu_experimental::provider::Baked as ExperimentalBaked;
use icu_provider::{DataError, DataProvider, DataRequest, DataResponse};

/// The compiled data of `icu_experimental` and `icu_decimal`, every request marked silent:
/// a missing entry (AED has no symbol in `en`) is an answer, not something to print. ICU4X
/// debug builds otherwise write "ICU4X data error: Missing data …" to stderr on every miss.
pub(super) struct Silent;

/// Marks `req` silent: ICU4X then logs nothing when the data is missing.
pub(super) fn silent(mut req: DataRequest<'_>) -> DataRequest<'_> {
    req.metadata.silent = true;
    req
}

macro_rules! silently {
    ($baked:ident: $($marker:ty),+) => {$(
        impl DataProvider<$marker> for Silent {
            fn load(&self, req: DataRequest) -> Result<DataResponse<$marker>, DataError> {
                $baked.load(silent(req))
            }
        }
    )+};
}

silently!(ExperimentalBaked: CurrencyEssentialsV1, CurrencySymbolsV1, CurrencyPatternsNoCurrencyV1,
    CurrencyDecimalSymbolsV1, CurrencyFractionsV1);
silently!(DecimalBaked: DecimalSymbolsV1, DecimalDigitsV1);
