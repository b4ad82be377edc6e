//! What kind of line a phone number is, as the phone metadata says, and whether it takes SMS.

use phonenumber::Type;

/// The kind of line a number belongs to: the phone metadata's own classes, named once here so
/// the policy never reads the metadata crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineType {
    Mobile,
    /// Where the number cannot tell (the NANP): texted, as carriers there route SMS to both.
    FixedLineOrMobile,
    FixedLine,
    TollFree,
    PremiumRate,
    SharedCost,
    Voip,
    PersonalNumber,
    Pager,
    /// A company's universal access number.
    Uan,
    Voicemail,
    /// The metadata does not say.
    Unknown,
}

impl LineType {
    /// The metadata's class of a number.
    pub fn of(t: Type) -> LineType {
        match t {
            Type::Mobile => LineType::Mobile,
            Type::FixedLineOrMobile => LineType::FixedLineOrMobile,
            Type::FixedLine => LineType::FixedLine,
            Type::TollFree => LineType::TollFree,
            Type::PremiumRate => LineType::PremiumRate,
            Type::SharedCost => LineType::SharedCost,
            Type::Voip => LineType::Voip,
            Type::PersonalNumber => LineType::PersonalNumber,
            Type::Pager => LineType::Pager,
            Type::Uan => LineType::Uan,
            Type::Voicemail => LineType::Voicemail,
            _ => LineType::Unknown,
        }
    }

    /// The words for a reason (`a fixed line`).
    pub fn as_words(self) -> &'static str {
        match self {
            LineType::Mobile => "a mobile",
            LineType::FixedLineOrMobile => "a fixed line or mobile",
            LineType::FixedLine => "a fixed line",
            LineType::TollFree => "a toll-free line",
            LineType::PremiumRate => "a premium-rate line",
            LineType::SharedCost => "a shared-cost line",
            LineType::Voip => "a VoIP line",
            LineType::PersonalNumber => "a personal number",
            LineType::Pager => "a pager",
            LineType::Uan => "a company's access number",
            LineType::Voicemail => "a voicemail access number",
            LineType::Unknown => "a line of unknown type",
        }
    }

    /// Whether an SMS can reach it. Lines that the metadata says are not handsets (fixed lines,
    /// service numbers, pagers, voicemail) are not texted; mobiles, VoIP and numbers whose
    /// type the metadata cannot tell are, so stale metadata never silences a customer.
    pub fn takes_sms(self) -> bool {
        !matches!(
            self,
            LineType::FixedLine
                | LineType::TollFree
                | LineType::PremiumRate
                | LineType::SharedCost
                | LineType::Pager
                | LineType::Uan
                | LineType::Voicemail
        )
    }
}
