//! Organization attributes: name, slug, plan, industry profile, currency and time zone.

use crate::values::{ValueError, parse_label};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An organization's display name: 1 to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct OrgName(String);

impl OrgName {
    /// Parses a display name.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        parse_label(raw, 100).map(Self)
    }
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A URL-safe unique handle for an organization: `a-z`, `0-9` and single hyphens, 2 to 63
/// characters, used by the command line (`--org SLUG`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Slug(String);

impl Slug {
    /// Longest slug (a DNS label's limit, so a slug can become a subdomain).
    pub const MAX: usize = 63;

    /// Parses a slug exactly as given.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let ok = (2..=Self::MAX).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !raw.starts_with('-')
            && !raw.ends_with('-')
            && !raw.contains("--");
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValueError(
                "must be 2-63 lowercase letters, digits and single hyphens".into(),
            ))
        }
    }

    /// Derives a slug from a name ("Acme Widgets, Inc." → "acme-widgets-inc"); names with no
    /// usable characters become "org". `suffix` makes it unique when the plain one is taken.
    pub fn from_name(name: &str, suffix: Option<&str>) -> Self {
        let mut s = String::new();
        for c in name.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                s.push(c);
            } else if !s.is_empty() && !s.ends_with('-') {
                s.push('-');
            }
        }
        let mut s = s.trim_end_matches('-').to_owned();
        if s.len() < 2 {
            s = "org".to_owned();
        }
        let room = Self::MAX - suffix.map_or(0, |x| x.len() + 1);
        s.truncate(room);
        let mut s = s.trim_end_matches('-').to_owned();
        if let Some(x) = suffix {
            s.push('-');
            s.push_str(x);
        }
        Self(s)
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The stored and wire form.
            pub const fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = ValueError;
            fn from_str(s: &str) -> Result<Self, ValueError> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(ValueError(format!(
                        "must be one of: {}",
                        [$($text),+].join(", ")
                    ))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use text_enum;

text_enum!(
    /// The billing plan; it sets limits such as metric retention.
    Plan { Free = "free", Pro = "pro", Enterprise = "enterprise" }
);

impl Plan {
    /// Whole months of raw metric points the plan keeps. Daily and monthly roll-ups are kept
    /// for good, so series over older periods still answer once their points are dropped.
    pub const fn retention_months(self) -> u32 {
        match self {
            Self::Free => 36,
            Self::Pro => 84,
            Self::Enterprise => 120,
        }
    }

    /// The earliest instant a point may have under this plan at `now`: the first instant (UTC)
    /// of the month `retention_months` before `now`'s month. Whole UTC months, because on
    /// PostgreSQL the points are partitioned by UTC month and whole partitions are dropped.
    pub fn retention_horizon(
        self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> chrono::DateTime<chrono::Utc> {
        use chrono::Datelike;
        let month = now
            .date_naive()
            .with_day(1)
            .and_then(|d| d.checked_sub_months(chrono::Months::new(self.retention_months())))
            .unwrap_or(chrono::NaiveDate::MIN);
        month.and_time(chrono::NaiveTime::MIN).and_utc()
    }
}

text_enum!(
    /// The industry profile, which selects the scoring benchmarks (SCORING.md).
    Industry {
        Saas = "saas",
        Ecommerce = "ecommerce",
        Services = "services",
        Retail = "retail",
        General = "general",
    }
);

/// An ISO 4217 currency code in active use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Currency(&'static str);

/// ISO 4217 active codes (2024 list), so that a typo such as "USS" is refused.
const ISO_4217: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG";

impl Currency {
    /// Parses a code; lower case is accepted and normalised.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let up = raw.trim().to_ascii_uppercase();
        ISO_4217
            .split(' ')
            .find(|c| *c == up)
            .map(Self)
            .ok_or_else(|| ValueError("must be an ISO 4217 currency code such as USD".into()))
    }
    /// The code.
    pub const fn as_str(&self) -> &'static str {
        self.0
    }
}

/// An IANA time zone; days, weeks and months are cut in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TimeZone(#[serde(serialize_with = "tz_name")] chrono_tz::Tz);

fn tz_name<S: serde::Serializer>(tz: &chrono_tz::Tz, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(tz.name())
}

impl TimeZone {
    /// Parses an IANA name such as "Europe/Berlin" or "Asia/Kolkata".
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        raw.trim()
            .parse::<chrono_tz::Tz>()
            .map(Self)
            .map_err(|_| ValueError("must be an IANA time zone such as Europe/Berlin".into()))
    }
    /// The IANA name.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }
    /// The zone, for period arithmetic.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn retention_horizons_are_whole_utc_months() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-24T23:30:00-05:00")
            .unwrap()
            .to_utc();
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        assert_eq!(
            Plan::Free.retention_horizon(now),
            at("2023-11-01T00:00:00Z")
        );
        assert_eq!(Plan::Pro.retention_horizon(now), at("2019-11-01T00:00:00Z"));
        assert_eq!(
            Plan::Enterprise.retention_horizon(now),
            at("2016-11-01T00:00:00Z")
        );
    }

    #[test]
    fn slugs_from_names() {
        assert_eq!(
            Slug::from_name("Acme Widgets, Inc.", None).as_str(),
            "acme-widgets-inc"
        );
        assert_eq!(Slug::from_name("!!!", None).as_str(), "org");
        assert_eq!(Slug::from_name("Acme", Some("x7k2")).as_str(), "acme-x7k2");
        assert!(Slug::parse("Acme").is_err());
        assert!(Slug::parse("a--b").is_err());
        assert!(Slug::parse("acme-1").is_ok());
    }

    #[test]
    fn enums_currency_tz() {
        assert_eq!("saas".parse::<Industry>().unwrap(), Industry::Saas);
        assert!("banking".parse::<Industry>().is_err());
        assert_eq!(Currency::parse("eur").unwrap().as_str(), "EUR");
        assert!(Currency::parse("USS").is_err());
        assert_eq!(
            TimeZone::parse("Asia/Kolkata").unwrap().name(),
            "Asia/Kolkata"
        );
        assert!(TimeZone::parse("Mars/Olympus").is_err());
    }

    proptest! {
        #[test]
        fn derived_slugs_always_parse(name in ".{0,200}", suffix in proptest::option::of("[a-z0-9]{4,8}")) {
            let s = Slug::from_name(&name, suffix.as_deref());
            prop_assert!(Slug::parse(s.as_str()).is_ok(), "{:?}", s);
        }
    }
}
