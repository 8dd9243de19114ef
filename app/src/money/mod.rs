//! Money: an integer amount in a currency's minor unit with its ISO 4217 code. Never floats.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Currency {
    Usd,
    Eur,
    Gbp,
    Cny,
    Jpy,
}

impl Currency {
    pub const ALL: [Currency; 5] = [
        Currency::Usd,
        Currency::Eur,
        Currency::Gbp,
        Currency::Cny,
        Currency::Jpy,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Currency::Usd => "USD",
            Currency::Eur => "EUR",
            Currency::Gbp => "GBP",
            Currency::Cny => "CNY",
            Currency::Jpy => "JPY",
        }
    }

    pub fn parse(code: &str) -> Option<Currency> {
        Currency::ALL
            .into_iter()
            .find(|c| c.code().eq_ignore_ascii_case(code.trim()))
    }

    /// Digits after the decimal point (ISO 4217 exponent).
    pub fn exponent(self) -> u32 {
        match self {
            Currency::Jpy => 0,
            _ => 2,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Currency::Usd => "$",
            Currency::Eur => "€",
            Currency::Gbp => "£",
            Currency::Cny => "¥",
            Currency::Jpy => "¥",
        }
    }

    /// The largest amount Cohort accepts in one campaign goal or pledge, in minor units
    /// (about 10 million in the major unit): above that, a typo is likelier than a backer.
    pub fn sane_max_minor(self) -> i64 {
        10_000_000 * 10_i64.pow(self.exponent())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum MoneyError {
    #[error("not an amount")]
    NotANumber,
    #[error("too many decimal places for this currency")]
    TooPrecise,
    #[error("the amount must be more than zero")]
    NotPositive,
    #[error("the amount is too large")]
    TooLarge,
    #[error("amounts in different currencies cannot be combined")]
    CurrencyMismatch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    pub fn zero(currency: Currency) -> Money {
        Money { minor: 0, currency }
    }

    /// Parses what a person types ("1,250.50", "1250", "¥88") into a positive amount.
    pub fn parse_positive(input: &str, currency: Currency) -> Result<Money, MoneyError> {
        let cleaned: String = input
            .trim()
            .trim_start_matches(currency.symbol())
            .chars()
            .filter(|c| !matches!(c, ',' | ' ' | '_' | '\u{a0}'))
            .collect();
        if cleaned.is_empty() || cleaned.starts_with('-') {
            return Err(if cleaned.starts_with('-') {
                MoneyError::NotPositive
            } else {
                MoneyError::NotANumber
            });
        }
        let (whole, frac) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
        if whole.is_empty() && frac.is_empty()
            || !whole.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
        {
            return Err(MoneyError::NotANumber);
        }
        let exp = currency.exponent() as usize;
        if frac.len() > exp {
            return Err(MoneyError::TooPrecise);
        }
        let scale = 10_i64.pow(exp as u32);
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| MoneyError::TooLarge)?
        };
        let frac_value: i64 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<exp$}")
                .parse()
                .map_err(|_| MoneyError::NotANumber)?
        };
        let minor = whole
            .checked_mul(scale)
            .and_then(|w| w.checked_add(frac_value))
            .ok_or(MoneyError::TooLarge)?;
        if minor <= 0 {
            return Err(MoneyError::NotPositive);
        }
        if minor > currency.sane_max_minor() {
            return Err(MoneyError::TooLarge);
        }
        Ok(Money { minor, currency })
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch);
        }
        self.minor
            .checked_add(other.minor)
            .map(|minor| Money { minor, ..self })
            .ok_or(MoneyError::TooLarge)
    }

    /// `rate_bps` basis points of this amount (1 bp = 0.01 %), rounded half up to the minor unit.
    pub fn fee(self, rate_bps: u32) -> Money {
        let product = i128::from(self.minor) * i128::from(rate_bps);
        let rounded = (product + 5_000) / 10_000;
        Money {
            minor: rounded as i64,
            ..self
        }
    }

    /// Shares `self` in proportion to `weights`, exactly: the parts always add up to the whole
    /// (largest-remainder method), so a pro-rata refund never loses or invents a cent.
    pub fn split_pro_rata(self, weights: &[i64]) -> Vec<Money> {
        let total: i128 = weights.iter().map(|w| i128::from((*w).max(0))).sum();
        if total == 0 {
            return weights.iter().map(|_| Money::zero(self.currency)).collect();
        }
        let whole = i128::from(self.minor);
        let mut parts: Vec<(usize, i128, i128)> = weights
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let exact = whole * i128::from((*w).max(0));
                (i, exact / total, exact % total)
            })
            .collect();
        let assigned: i128 = parts.iter().map(|p| p.1).sum();
        let mut left = whole - assigned;
        parts.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        for p in parts.iter_mut() {
            if left == 0 {
                break;
            }
            p.1 += 1;
            left -= 1;
        }
        parts.sort_by_key(|p| p.0);
        parts
            .into_iter()
            .map(|p| Money {
                minor: p.1 as i64,
                currency: self.currency,
            })
            .collect()
    }
}

impl std::fmt::Display for Money {
    /// `$1,250.50`, `¥88`: grouping with commas, the currency's own number of decimals.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let exp = self.currency.exponent();
        let scale = 10_i64.pow(exp);
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        let whole = abs / scale as u64;
        let frac = abs % scale as u64;
        let digits = whole.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(f, "{sign}{}{grouped}", self.currency.symbol())?;
        if exp > 0 {
            write!(f, ".{frac:0width$}", width = exp as usize)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_type_amounts_many_ways() {
        assert_eq!(
            Money::parse_positive("1,250.5", Currency::Usd)
                .unwrap()
                .minor,
            125_050
        );
        assert_eq!(
            Money::parse_positive("$10", Currency::Usd).unwrap().minor,
            1_000
        );
        assert_eq!(
            Money::parse_positive(".99", Currency::Eur).unwrap().minor,
            99
        );
        assert_eq!(
            Money::parse_positive("¥88", Currency::Jpy).unwrap().minor,
            88
        );
    }

    #[test]
    fn bad_amounts_are_refused_with_a_reason() {
        assert_eq!(
            Money::parse_positive("", Currency::Usd),
            Err(MoneyError::NotANumber)
        );
        assert_eq!(
            Money::parse_positive("ten", Currency::Usd),
            Err(MoneyError::NotANumber)
        );
        assert_eq!(
            Money::parse_positive("1.234", Currency::Usd),
            Err(MoneyError::TooPrecise)
        );
        assert_eq!(
            Money::parse_positive("1.5", Currency::Jpy),
            Err(MoneyError::TooPrecise)
        );
        assert_eq!(
            Money::parse_positive("0", Currency::Usd),
            Err(MoneyError::NotPositive)
        );
        assert_eq!(
            Money::parse_positive("-5", Currency::Usd),
            Err(MoneyError::NotPositive)
        );
        assert_eq!(
            Money::parse_positive("99999999999", Currency::Usd),
            Err(MoneyError::TooLarge)
        );
        assert_eq!(
            Money::parse_positive("1e5", Currency::Usd),
            Err(MoneyError::NotANumber)
        );
    }

    #[test]
    fn amounts_display_in_their_currency() {
        assert_eq!(Money::new(125_050, Currency::Usd).to_string(), "$1,250.50");
        assert_eq!(
            Money::new(1_234_567, Currency::Jpy).to_string(),
            "¥1,234,567"
        );
        assert_eq!(Money::new(-5, Currency::Eur).to_string(), "-€0.05");
    }

    #[test]
    fn currencies_never_mix() {
        let usd = Money::new(1, Currency::Usd);
        assert_eq!(
            usd.checked_add(Money::new(1, Currency::Eur)),
            Err(MoneyError::CurrencyMismatch)
        );
        assert_eq!(usd.checked_add(usd).unwrap().minor, 2);
    }

    #[test]
    fn fees_round_half_up_in_basis_points() {
        assert_eq!(Money::new(10_000, Currency::Usd).fee(500).minor, 500); // 5 % of $100
        assert_eq!(Money::new(999, Currency::Usd).fee(500).minor, 50); // 49.95 → 50
        assert_eq!(Money::new(0, Currency::Usd).fee(500).minor, 0);
    }

    #[test]
    fn pro_rata_splits_always_add_up() {
        let parts = Money::new(100, Currency::Usd).split_pro_rata(&[1, 1, 1]);
        assert_eq!(
            parts.iter().map(|m| m.minor).collect::<Vec<_>>(),
            vec![34, 33, 33]
        );
        for (total, weights) in [
            (1_000_i64, vec![3_i64, 7, 11, 0]),
            (7, vec![5, 5]),
            (123_457, vec![1, 2, 3, 4, 5, 6]),
        ] {
            let parts = Money::new(total, Currency::Eur).split_pro_rata(&weights);
            assert_eq!(
                parts.iter().map(|m| m.minor).sum::<i64>(),
                total,
                "{weights:?}"
            );
        }
        assert!(Money::new(10, Currency::Usd)
            .split_pro_rata(&[0, 0])
            .iter()
            .all(|m| m.minor == 0));
    }
}
