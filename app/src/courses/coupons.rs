//! Coupon storage (server only). A use is reserved in the same statement that checks it is
//! still available, so a limited coupon is never used more often than allowed, even by buyers
//! racing for its last use; an abandoned Checkout gives its use back.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::model::{CouponView, CourseProblem, Discount};
use super::store::problem;
use crate::backend::db::Db;
use crate::error::AppResult;
use crate::vars;

#[derive(Deserialize)]
struct Row {
    code: String,
    percent_off: Option<u32>,
    amount_off: Option<i64>,
    max_uses: u32,
    used: u32,
    expires_at: Option<DateTime<Utc>>,
}

impl Row {
    fn view(self) -> Option<CouponView> {
        let discount = match (self.percent_off, self.amount_off) {
            (Some(p), _) => Discount::Percent(p),
            (None, Some(a)) => Discount::Amount(a),
            (None, None) => return None,
        };
        Some(CouponView {
            code: self.code,
            discount,
            max_uses: self.max_uses,
            used: self.used,
            expires_at: self.expires_at,
        })
    }
}

pub async fn list(db: &Db, course: &str) -> AppResult<Vec<CouponView>> {
    let rows: Vec<Row> = db
        .rows(
            "SELECT code, percent_off, amount_off, max_uses, used, expires_at, created_at FROM coupon
             WHERE course = type::record('course', $c) ORDER BY created_at DESC",
            vars!("c" => course),
        )
        .await?;
    Ok(rows.into_iter().filter_map(Row::view).collect())
}

/// Creates (or replaces, keeping its count of uses) the coupon `code`.
pub async fn save(
    db: &Db,
    course: &str,
    code: &str,
    discount: Discount,
    max_uses: u32,
    expires_at: Option<DateTime<Utc>>,
) -> AppResult<()> {
    let (percent, amount) = match discount {
        Discount::Percent(p) => (Some(p), None),
        Discount::Amount(a) => (None, Some(a)),
    };
    db.run(
        "UPSERT type::record('coupon', [$c, $code]) SET course = type::record('course', $c),
            code = $code, percent_off = IF $p THEN <int>$p ELSE NONE END,
            amount_off = IF $a THEN <int>$a ELSE NONE END, max_uses = $max,
            expires_at = IF $exp THEN <datetime>$exp ELSE NONE END, used = used ?? 0",
        vars!("c" => course, "code" => code, "p" => percent, "a" => amount, "max" => max_uses,
            "exp" => expires_at),
    )
    .await?;
    Ok(())
}

/// Takes one use of a live coupon; answers its discount, or `CouponInvalid`.
pub async fn reserve(db: &Db, course: &str, code: &str) -> AppResult<Discount> {
    let rows: Vec<Row> = db
        .rows_retrying(
            "UPDATE type::record('coupon', [$c, $code]) SET used += 1
             WHERE used < max_uses AND (expires_at = NONE OR expires_at > time::now())
             RETURN code, percent_off, amount_off, max_uses, used, expires_at",
            vars!("c" => course, "code" => code),
        )
        .await?;
    rows.into_iter()
        .next()
        .and_then(Row::view)
        .map(|v| v.discount)
        .ok_or(problem(CourseProblem::CouponInvalid))
}

/// Gives back a use reserved by a Checkout that was never paid.
pub async fn release(db: &Db, course: &str, code: &str) -> AppResult<()> {
    db.run(
        "UPDATE type::record('coupon', [$c, $code]) SET used -= 1 WHERE used > 0",
        vars!("c" => course, "code" => code),
    )
    .await?;
    Ok(())
}
