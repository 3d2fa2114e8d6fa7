//! Date functions on Go `time.Time` values: `now`, `date`, `dateInZone`,
//! `htmlDate`, `dateModify`, `toDate`, `unixEpoch`, `ago`, `duration`,
//! `durationRound`, with Go's layout-based formatting and parsing.

use std::rc::Rc;
use std::sync::LazyLock;
use std::time::Instant;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::{Offset, TimeZone};

use super::conversion::parse_int;
use super::{Func, Ty, Value, def, s};
use crate::template::Funcs;
use crate::template::gofmt::quote;
use crate::template::value::Object;

static START: LazyLock<Instant> = LazyLock::new(Instant::now);

/// A Go `*time.Location`: a tz database zone, or a fixed offset with a name.
#[derive(Clone)]
enum Loc {
    /// A zone and the name `LoadLocation` was given (`Local`, `UTC`, …).
    Tz(String, TimeZone),
    Fixed(String, i32),
}

impl Loc {
    fn utc() -> Loc {
        Loc::Tz("UTC".into(), TimeZone::UTC)
    }

    fn local() -> Loc {
        static LOCAL: LazyLock<TimeZone> = LazyLock::new(local_zone);
        Loc::Tz("Local".into(), LOCAL.clone())
    }

    /// `time.LoadLocation`; unknown names fall back to UTC, as Sprig does.
    fn load(name: &str) -> Loc {
        match name {
            "" | "UTC" => Loc::utc(),
            "Local" => Loc::local(),
            _ => match jiff::tz::db().get(name) {
                Ok(tz) => Loc::Tz(name.into(), tz),
                Err(_) => Loc::utc(),
            },
        }
    }

    /// Offset in seconds and zone abbreviation at an instant.
    fn at(&self, ts: Timestamp) -> (i32, String) {
        match self {
            Loc::Tz(_, tz) => {
                let info = tz.to_offset_info(ts);
                (info.offset().seconds(), info.abbreviation().to_string())
            }
            Loc::Fixed(name, off) => (*off, name.clone()),
        }
    }
}

/// Go's `time.Local`: `$TZ` when set (empty is UTC; a leading `:` is
/// dropped; a path is a zone file, anything else a zone name), otherwise
/// `/etc/localtime`; UTC when none loads. Read directly rather than through
/// jiff's system lookup, which lists the whole zone database to name the zone.
fn local_zone() -> TimeZone {
    let from_file = |path: &str| {
        let data = std::fs::read(path).ok()?;
        TimeZone::tzif("Local", &data).ok()
    };
    let zone = match std::env::var("TZ") {
        Err(_) => from_file("/etc/localtime"),
        Ok(tz) => match tz.strip_prefix(':').unwrap_or(&tz) {
            "" | "UTC" => None,
            path if path.starts_with('/') => from_file(path),
            name => jiff::tz::db().get(name).ok(),
        },
    };
    zone.unwrap_or(TimeZone::UTC)
}

/// A Go `time.Time`.
#[derive(Clone)]
struct Time {
    ts: Timestamp,
    loc: Loc,
    /// `time.Now()` carries a monotonic reading, which `String()` prints.
    mono: Option<f64>,
}

/// Go's zero `time.Time`: January 1, year 1, 00:00:00 UTC.
fn zero_time() -> Time {
    let dt = DateTime::constant(1, 1, 1, 0, 0, 0, 0);
    let ts = Offset::UTC
        .to_timestamp(dt)
        .unwrap_or(Timestamp::UNIX_EPOCH);
    Time {
        ts,
        loc: Loc::utc(),
        mono: None,
    }
}

impl Time {
    fn now() -> Time {
        Time {
            ts: Timestamp::now(),
            loc: Loc::local(),
            mono: Some(START.elapsed().as_secs_f64()),
        }
    }

    fn unix(secs: i64) -> Time {
        let ts = Timestamp::from_second(secs).unwrap_or(Timestamp::UNIX_EPOCH);
        Time {
            ts,
            loc: Loc::local(),
            mono: None,
        }
    }

    fn civil(&self) -> (DateTime, i32, String) {
        let (off, abbr) = self.loc.at(self.ts);
        let dt = Offset::from_seconds(off)
            .unwrap_or(Offset::UTC)
            .to_datetime(self.ts);
        (dt, off, abbr)
    }

    fn format(&self, layout: &str) -> String {
        format(self, layout)
    }

    fn go_string(&self) -> String {
        let mut out = self.format("2006-01-02 15:04:05.999999999 -0700 MST");
        if let Some(m) = self.mono {
            out.push_str(&format!(" m=+{m:.9}"));
        }
        out
    }

    fn into_value(self) -> Value {
        Value::Object(Rc::new(TimeObj(self)))
    }
}

struct TimeObj(Time);

impl Object for TimeObj {
    fn type_name(&self) -> String {
        "time.Time".into()
    }

    fn stringer(&self) -> Option<String> {
        Some(self.0.go_string())
    }

    /// `Time.MarshalJSON`: RFC 3339 with only the fraction digits needed.
    fn marshal_json(&self) -> Option<Value> {
        Some(self.0.format("2006-01-02T15:04:05.999999999Z07:00").into())
    }

    /// Fields no template can spell (`#ns`, `#loc`, `#off`) carry the instant
    /// and the location to the functions that take a `time.Time` back.
    fn field(&self, name: &str) -> Option<Value> {
        match (&self.0.loc, name) {
            (_, "#ns") => Some(Value::from(self.0.ts.as_nanosecond().to_string())),
            (Loc::Tz(loc, _), "#loc") | (Loc::Fixed(loc, _), "#loc") => Some(Value::str(loc)),
            (Loc::Fixed(_, off), "#off") => Some(Value::Int64(i64::from(*off))),
            _ => None,
        }
    }

    fn method(&self, name: &str) -> Option<Func> {
        let t = self.0.clone();
        let (dt, _, _) = t.civil();
        let int = |v: i64| Func::new(&[], move |_, _| Ok(Value::Int(v)));
        Some(match name {
            "Format" => Func::new(&[Ty::Str], move |_, a| Ok(t.format(s(&a[0])).into())),
            "String" => Func::new(&[], move |_, _| Ok(t.go_string().into())),
            "Unix" => Func::new(&[], move |_, _| Ok(Value::Int64(t.ts.as_second()))),
            "UTC" => Func::new(&[], move |_, _| {
                Ok(Time {
                    loc: Loc::utc(),
                    mono: None,
                    ..t.clone()
                }
                .into_value())
            }),
            "Local" => Func::new(&[], move |_, _| {
                Ok(Time {
                    loc: Loc::local(),
                    mono: None,
                    ..t.clone()
                }
                .into_value())
            }),
            "Add" => Func::new(&[Ty::Int64], move |_, a| {
                Ok(add(
                    Time {
                        mono: None,
                        ..t.clone()
                    },
                    super::i(&a[0]),
                )
                .into_value())
            }),
            "UnixMilli" => {
                let ms = t.ts.as_millisecond();
                Func::new(&[], move |_, _| Ok(Value::Int64(ms)))
            }
            "UnixNano" => {
                let ns = i64::try_from(t.ts.as_nanosecond()).unwrap_or(i64::MIN);
                Func::new(&[], move |_, _| Ok(Value::Int64(ns)))
            }
            "IsZero" => {
                let zero = t.ts == zero_time().ts;
                Func::new(&[], move |_, _| Ok(Value::Bool(zero)))
            }
            "Month" => {
                let m = LONG_MONTHS[dt.month() as usize - 1];
                Func::new(&[], move |_, _| Ok(Value::str(m)))
            }
            "Weekday" => {
                let d = LONG_DAYS[dt.weekday().to_sunday_zero_offset() as usize];
                Func::new(&[], move |_, _| Ok(Value::str(d)))
            }
            "Nanosecond" => int(i64::from(dt.subsec_nanosecond())),
            "Year" => int(i64::from(dt.year())),
            "Day" => int(i64::from(dt.day())),
            "Hour" => int(i64::from(dt.hour())),
            "Minute" => int(i64::from(dt.minute())),
            "Second" => int(i64::from(dt.second())),
            "YearDay" => int(i64::from(dt.day_of_year())),
            _ => return None,
        })
    }
}

/// A `time.Time` argument, or Go's complaint about the type.
fn time_arg(v: &Value) -> Result<Time, String> {
    if let Value::Object(o) = v
        && o.type_name() == "time.Time"
        && let Some(Value::Str(ns)) = o.field("#ns")
        && let Some(Value::Str(loc)) = o.field("#loc")
    {
        let nanos: i128 = ns.parse().unwrap_or_default();
        let ts = Timestamp::from_nanosecond(nanos).unwrap_or(Timestamp::UNIX_EPOCH);
        let loc = match o.field("#off") {
            Some(Value::Int64(off)) => Loc::Fixed(loc.to_string(), off as i32),
            _ => Loc::load(&loc),
        };
        return Ok(Time {
            ts,
            loc,
            mono: None,
        });
    }
    let got = if v.is_nil() {
        "<nil>".to_string()
    } else {
        v.type_name()
    };
    Err(format!(
        "wrong type for value; expected time.Time; got {got}"
    ))
}

pub(super) fn register(f: &mut Funcs) {
    def(f, "now", &[], |_| Ok(Time::now().into_value()));
    def(f, "date", &[Ty::Str, Ty::Any], |a| {
        Ok(date_in_zone(s(&a[0]), &a[1], "Local").into())
    });
    def(f, "htmlDate", &[Ty::Any], |a| {
        Ok(date_in_zone("2006-01-02", &a[0], "Local").into())
    });
    def(f, "htmlDateInZone", &[Ty::Any, Ty::Str], |a| {
        Ok(date_in_zone("2006-01-02", &a[0], s(&a[1])).into())
    });
    for name in ["dateInZone", "date_in_zone"] {
        def(f, name, &[Ty::Str, Ty::Any, Ty::Str], |a| {
            Ok(date_in_zone(s(&a[0]), &a[1], s(&a[2])).into())
        });
    }
    for name in ["dateModify", "date_modify"] {
        def(f, name, &[Ty::Str, Ty::Any], |a| {
            let t = time_arg(&a[1])?;
            Ok(match parse_duration(s(&a[0])) {
                Ok(d) => add(t, d),
                Err(_) => t,
            }
            .into_value())
        });
    }
    for name in ["mustDateModify", "must_date_modify"] {
        def(f, name, &[Ty::Str, Ty::Any], |a| {
            let t = time_arg(&a[1])?;
            Ok(add(t, parse_duration(s(&a[0]))?).into_value())
        });
    }
    def(f, "ago", &[Ty::Any], |a| {
        let t = match &a[0] {
            Value::Int(n) | Value::Int64(n) => Time::unix(*n),
            v => time_arg(v).unwrap_or_else(|_| Time::now()),
        };
        let since = Timestamp::now().as_nanosecond() - t.ts.as_nanosecond();
        let since = i64::try_from(since).unwrap_or(i64::MAX);
        Ok(duration_string(round(since, 1_000_000_000)).into())
    });
    def(f, "duration", &[Ty::Any], |a| {
        let n = match &a[0] {
            Value::Str(t) => super::conversion::parse_int_base(t, 10, false).unwrap_or(0),
            Value::Int64(n) => *n,
            _ => 0,
        };
        Ok(duration_string(n.wrapping_mul(1_000_000_000)).into())
    });
    def(f, "durationRound", &[Ty::Any], |a| {
        let d: i64 = match &a[0] {
            Value::Str(t) => parse_duration(t).unwrap_or(0),
            Value::Int64(n) => *n,
            v => match time_arg(v) {
                Ok(t) => {
                    let n = Timestamp::now().as_nanosecond() - t.ts.as_nanosecond();
                    i64::try_from(n).unwrap_or(i64::MAX)
                }
                Err(_) => 0,
            },
        };
        Ok(duration_round(d).into())
    });
    def(f, "toDate", &[Ty::Str, Ty::Str], |a| {
        Ok(parse(s(&a[0]), s(&a[1]))
            .unwrap_or_else(|_| zero_time())
            .into_value())
    });
    def(f, "mustToDate", &[Ty::Str, Ty::Str], |a| {
        Ok(parse(s(&a[0]), s(&a[1]))?.into_value())
    });
    def(f, "unixEpoch", &[Ty::Any], |a| {
        Ok(time_arg(&a[0])?.ts.as_second().to_string().into())
    });
}

fn add(mut t: Time, nanos: i64) -> Time {
    let n = t.ts.as_nanosecond() + i128::from(nanos);
    t.ts = Timestamp::from_nanosecond(n).unwrap_or(t.ts);
    t
}

fn date_in_zone(layout: &str, date: &Value, zone: &str) -> String {
    let t = match date {
        Value::Int(n) | Value::Int64(n) => Time::unix(*n),
        v => time_arg(v).unwrap_or_else(|_| Time::now()),
    };
    Time {
        loc: Loc::load(zone),
        ..t
    }
    .format(layout)
}

/// Sprig's `durationRound`: the largest whole unit, truncated.
fn duration_round(d: i64) -> String {
    let u = d.unsigned_abs();
    const SEC: u64 = 1_000_000_000;
    let units: [(u64, &str); 6] = [
        (SEC * 3600 * 24 * 365, "y"),
        (SEC * 3600 * 24 * 30, "mo"),
        (SEC * 3600 * 24, "d"),
        (SEC * 3600, "h"),
        (SEC * 60, "m"),
        (SEC, "s"),
    ];
    for (size, name) in units {
        if u > size {
            return format!("{}{name}", u / size);
        }
    }
    "0s".into()
}

/// `time.Duration.Round`.
fn round(d: i64, m: i64) -> i64 {
    let half = |r: i64| (r as u64).wrapping_add(r as u64) < m as u64;
    let r = d % m;
    if d < 0 {
        let r = -r;
        if half(r) {
            return d + r;
        }
        d.checked_sub(m - r).unwrap_or(i64::MIN)
    } else {
        if half(r) {
            return d - r;
        }
        d.checked_add(m - r).unwrap_or(i64::MAX)
    }
}

/// `time.Duration.String`.
fn duration_string(d: i64) -> String {
    let mut u = d.unsigned_abs();
    let frac = |u: u64, prec: u32| -> (String, u64) {
        let mut digits = String::new();
        let mut v = u;
        let mut printed = false;
        for _ in 0..prec {
            let digit = v % 10;
            printed = printed || digit != 0;
            if printed {
                digits.insert(0, char::from(b'0' + digit as u8));
            }
            v /= 10;
        }
        if printed {
            digits.insert(0, '.');
        }
        (digits, v)
    };
    let mut out;
    if u < 1_000_000_000 {
        let (prec, unit) = match u {
            0 => return "0s".into(),
            1..=999 => (0, "ns"),
            1000..=999_999 => (3, "µs"),
            _ => (6, "ms"),
        };
        let (f, rest) = frac(u, prec);
        out = format!("{rest}{f}{unit}");
    } else {
        let (f, rest) = frac(u, 9);
        u = rest;
        out = format!("{}{f}s", u % 60);
        u /= 60;
        if u > 0 {
            out = format!("{}m{out}", u % 60);
            u /= 60;
            if u > 0 {
                out = format!("{u}h{out}");
            }
        }
    }
    if d < 0 {
        out.insert(0, '-');
    }
    out
}

/// `time.ParseDuration`, in nanoseconds.
fn parse_duration(text: &str) -> Result<i64, String> {
    let orig = text;
    let bad = || format!("time: invalid duration {}", quote(orig));
    let (neg, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let whole: u64 = if digits == 0 {
            0
        } else {
            rest[..digits].parse().map_err(|_| bad())?
        };
        rest = &rest[digits..];
        let mut frac = (0u64, 1f64);
        let mut frac_digits = 0;
        if let Some(after) = rest.strip_prefix('.') {
            frac_digits = after.bytes().take_while(u8::is_ascii_digit).count();
            let mut scale = 1f64;
            let mut f = 0u64;
            for c in after[..frac_digits].bytes() {
                if f > (1 << 63) / 10 {
                    continue;
                }
                f = f * 10 + u64::from(c - b'0');
                scale *= 10.0;
            }
            frac = (f, scale);
            rest = &after[frac_digits..];
        }
        if digits == 0 && frac_digits == 0 {
            return Err(bad());
        }
        let unit_len = rest
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map_or(rest.len(), |(k, _)| k);
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let scale: u64 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(format!("time: missing unit in duration {}", quote(orig))),
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    quote(unit),
                    quote(orig)
                ));
            }
        };
        let mut v = whole.checked_mul(scale).ok_or_else(bad)?;
        if frac.0 > 0 {
            v = v
                .checked_add((frac.0 as f64 * (scale as f64 / frac.1)) as u64)
                .ok_or_else(bad)?;
        }
        total = total.checked_add(v).ok_or_else(bad)?;
        if total > 1 << 63 {
            return Err(bad());
        }
    }
    if neg {
        Ok((total as i64).wrapping_neg())
    } else if total > i64::MAX as u64 {
        Err(bad())
    } else {
        Ok(total as i64)
    }
}

/// One element of a Go layout.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Std {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    Pm,
    PmLower,
    Tz,
    Iso(TzForm),
    Num(TzForm),
    Frac0(u8, usize),
    Frac9(u8, usize),
}

/// The shape of a numeric zone offset (`-0700`, `-07:00`, `-07`, …).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum TzForm {
    Plain,
    Colon,
    Short,
    Seconds,
    ColonSeconds,
}

fn lower_at(b: &[u8], k: usize) -> bool {
    b.get(k).is_some_and(u8::is_ascii_lowercase)
}

/// Go's `nextStdChunk`: the literal prefix, the element, and what follows.
fn next_std(layout: &str) -> (&str, Option<Std>, &str) {
    let b = layout.as_bytes();
    let at = |k: usize, lit: &str| layout.get(k..k + lit.len()) == Some(lit);
    let tz_forms = |k: usize| -> Option<(TzForm, usize)> {
        [
            ("070000", TzForm::Seconds),
            ("07:00:00", TzForm::ColonSeconds),
            ("0700", TzForm::Plain),
            ("07:00", TzForm::Colon),
            ("07", TzForm::Short),
        ]
        .into_iter()
        .find(|(lit, _)| at(k + 1, lit))
        .map(|(lit, form)| (form, lit.len() + 1))
    };
    for (k, &c) in b.iter().enumerate() {
        let found: Option<(Std, usize)> = match c {
            b'J' if at(k, "Jan") => {
                if at(k, "January") {
                    Some((Std::LongMonth, 7))
                } else if !lower_at(b, k + 3) {
                    Some((Std::Month, 3))
                } else {
                    None
                }
            }
            b'M' if at(k, "Mon") => {
                if at(k, "Monday") {
                    Some((Std::LongWeekDay, 6))
                } else if !lower_at(b, k + 3) {
                    Some((Std::WeekDay, 3))
                } else {
                    None
                }
            }
            b'M' if at(k, "MST") => Some((Std::Tz, 3)),
            b'0' => match b.get(k + 1) {
                Some(b'1') => Some((Std::ZeroMonth, 2)),
                Some(b'2') => Some((Std::ZeroDay, 2)),
                Some(b'3') => Some((Std::ZeroHour12, 2)),
                Some(b'4') => Some((Std::ZeroMinute, 2)),
                Some(b'5') => Some((Std::ZeroSecond, 2)),
                Some(b'6') => Some((Std::Year, 2)),
                Some(b'0') if b.get(k + 2) == Some(&b'2') => Some((Std::ZeroYearDay, 3)),
                _ => None,
            },
            b'1' => {
                if b.get(k + 1) == Some(&b'5') {
                    Some((Std::Hour, 2))
                } else {
                    Some((Std::NumMonth, 1))
                }
            }
            b'2' => {
                if at(k, "2006") {
                    Some((Std::LongYear, 4))
                } else {
                    Some((Std::Day, 1))
                }
            }
            b'_' => {
                if b.get(k + 1) == Some(&b'2') {
                    if at(k + 1, "2006") {
                        return (&layout[..k + 1], Some(Std::LongYear), &layout[k + 5..]);
                    }
                    Some((Std::UnderDay, 2))
                } else if at(k + 1, "_2") {
                    Some((Std::UnderYearDay, 3))
                } else {
                    None
                }
            }
            b'3' => Some((Std::Hour12, 1)),
            b'4' => Some((Std::Minute, 1)),
            b'5' => Some((Std::Second, 1)),
            b'P' if b.get(k + 1) == Some(&b'M') => Some((Std::Pm, 2)),
            b'p' if b.get(k + 1) == Some(&b'm') => Some((Std::PmLower, 2)),
            b'-' => tz_forms(k).map(|(f, n)| (Std::Num(f), n)),
            b'Z' => tz_forms(k).map(|(f, n)| (Std::Iso(f), n)),
            b'.' | b',' => match b.get(k + 1) {
                Some(&d @ (b'0' | b'9')) => {
                    let run = b[k + 1..].iter().take_while(|x| **x == d).count();
                    let j = k + 1 + run;
                    if b.get(j).is_some_and(u8::is_ascii_digit) {
                        None
                    } else if d == b'0' {
                        Some((Std::Frac0(c, run), run + 1))
                    } else {
                        Some((Std::Frac9(c, run), run + 1))
                    }
                }
                _ => None,
            },
            _ => None,
        };
        if let Some((std, len)) = found {
            return (&layout[..k], Some(std), &layout[k + len..]);
        }
    }
    (layout, None, "")
}

const LONG_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const LONG_DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

fn pad(n: i64, width: usize) -> String {
    if n < 0 {
        format!("-{:0width$}", -n)
    } else {
        format!("{n:0width$}")
    }
}

fn write_offset(out: &mut String, off: i32, form: TzForm) {
    let sign = if off < 0 { '-' } else { '+' };
    let a = off.unsigned_abs();
    out.push(sign);
    out.push_str(&format!("{:02}", a / 3600));
    let colon = matches!(form, TzForm::Colon | TzForm::ColonSeconds);
    if form != TzForm::Short {
        if colon {
            out.push(':');
        }
        out.push_str(&format!("{:02}", a / 60 % 60));
    }
    if matches!(form, TzForm::Seconds | TzForm::ColonSeconds) {
        if colon {
            out.push(':');
        }
        out.push_str(&format!("{:02}", a % 60));
    }
}

/// `time.Time.Format`.
fn format(t: &Time, layout: &str) -> String {
    let (dt, off, abbr) = t.civil();
    let mut out = String::new();
    let mut rest = layout;
    loop {
        let (prefix, std, suffix) = next_std(rest);
        out.push_str(prefix);
        let Some(std) = std else { break };
        rest = suffix;
        let year = i64::from(dt.year());
        let month = dt.month() as usize;
        let hour = i64::from(dt.hour());
        let weekday = dt.weekday().to_sunday_zero_offset() as usize;
        match std {
            Std::Year => out.push_str(&pad(year.rem_euclid(100), 2)),
            Std::LongYear => out.push_str(&pad(year, 4)),
            Std::Month => out.push_str(&LONG_MONTHS[month - 1][..3]),
            Std::LongMonth => out.push_str(LONG_MONTHS[month - 1]),
            Std::NumMonth => out.push_str(&month.to_string()),
            Std::ZeroMonth => out.push_str(&format!("{month:02}")),
            Std::WeekDay => out.push_str(&LONG_DAYS[weekday][..3]),
            Std::LongWeekDay => out.push_str(LONG_DAYS[weekday]),
            Std::Day => out.push_str(&dt.day().to_string()),
            Std::UnderDay => out.push_str(&format!("{:>2}", dt.day())),
            Std::ZeroDay => out.push_str(&format!("{:02}", dt.day())),
            Std::UnderYearDay => out.push_str(&format!("{:>3}", dt.day_of_year())),
            Std::ZeroYearDay => out.push_str(&format!("{:03}", dt.day_of_year())),
            Std::Hour => out.push_str(&format!("{hour:02}")),
            Std::Hour12 | Std::ZeroHour12 => {
                let h = match hour % 12 {
                    0 => 12,
                    h => h,
                };
                if std == Std::Hour12 {
                    out.push_str(&h.to_string());
                } else {
                    out.push_str(&format!("{h:02}"));
                }
            }
            Std::Minute => out.push_str(&dt.minute().to_string()),
            Std::ZeroMinute => out.push_str(&format!("{:02}", dt.minute())),
            Std::Second => out.push_str(&dt.second().to_string()),
            Std::ZeroSecond => out.push_str(&format!("{:02}", dt.second())),
            Std::Pm => out.push_str(if hour >= 12 { "PM" } else { "AM" }),
            Std::PmLower => out.push_str(if hour >= 12 { "pm" } else { "am" }),
            Std::Iso(_) if off == 0 => out.push('Z'),
            Std::Iso(form) | Std::Num(form) => write_offset(&mut out, off, form),
            Std::Tz => {
                if abbr.is_empty() {
                    write_offset(&mut out, off, TzForm::Plain);
                } else {
                    out.push_str(&abbr);
                }
            }
            Std::Frac0(sep, n) | Std::Frac9(sep, n) => {
                let nanos = format!("{:09}", dt.subsec_nanosecond());
                let digits = &nanos[..n.min(9)];
                let digits = if matches!(std, Std::Frac9(..)) {
                    digits.trim_end_matches('0')
                } else {
                    digits
                };
                if !digits.is_empty() {
                    out.push(char::from(sep));
                    out.push_str(digits);
                }
            }
        }
    }
    out
}

/// Why a parse failed: which layout and value parts, or a message.
struct ParseFail {
    layout_elem: String,
    value_elem: String,
    message: String,
}

fn fail(layout_elem: &str, value_elem: &str) -> ParseFail {
    ParseFail {
        layout_elem: layout_elem.into(),
        value_elem: value_elem.into(),
        message: String::new(),
    }
}

fn getnum(v: &str, fixed: bool) -> Option<(i64, &str)> {
    let b = v.as_bytes();
    if !b.first()?.is_ascii_digit() {
        return None;
    }
    if !b.get(1).is_some_and(u8::is_ascii_digit) {
        if fixed {
            return None;
        }
        return Some((i64::from(b[0] - b'0'), &v[1..]));
    }
    Some((
        i64::from(b[0] - b'0') * 10 + i64::from(b[1] - b'0'),
        &v[2..],
    ))
}

fn getnum3(v: &str, fixed: bool) -> Option<(i64, &str)> {
    let n = v.bytes().take(3).take_while(u8::is_ascii_digit).count();
    if n == 0 || (fixed && n != 3) {
        return None;
    }
    Some((v[..n].parse().ok()?, &v[n..]))
}

fn lookup<'v>(table: &[&str], v: &'v str, short: bool) -> Option<(usize, &'v str)> {
    for (k, name) in table.iter().enumerate() {
        let name = if short { &name[..3] } else { name };
        if v.len() >= name.len() && v.as_bytes()[..name.len()].eq_ignore_ascii_case(name.as_bytes())
        {
            return Some((k, &v[name.len()..]));
        }
    }
    None
}

fn skip<'v>(mut value: &'v str, mut prefix: &str) -> Option<&'v str> {
    while let Some(p) = prefix.as_bytes().first() {
        if *p == b' ' {
            if !value.is_empty() && !value.starts_with(' ') {
                return None;
            }
            prefix = prefix.trim_start_matches(' ');
            value = value.trim_start_matches(' ');
            continue;
        }
        // Byte by byte, as Go does; a whole matching prefix ends on a
        // character boundary in both strings.
        let n = prefix.find(' ').unwrap_or(prefix.len());
        if !value.as_bytes().starts_with(&prefix.as_bytes()[..n]) {
            return None;
        }
        prefix = &prefix[n..];
        value = &value[n..];
    }
    Some(value)
}

fn parse_nanos(v: &str, nbytes: usize) -> Option<i64> {
    if !v.starts_with(['.', ',']) {
        return None;
    }
    let nbytes = nbytes.min(10);
    let digits = v.get(1..nbytes)?;
    let mut ns: i64 = digits.parse().ok()?;
    for _ in digits.len()..9 {
        ns *= 10;
    }
    Some(ns)
}

fn tz_name_len(v: &str) -> Option<usize> {
    let b = v.as_bytes();
    if b.len() < 3 {
        return None;
    }
    if v.starts_with("ChST") || v.starts_with("MeST") {
        return Some(4);
    }
    if let Some(rest) = v.strip_prefix("GMT") {
        if let Some(sign) = rest.strip_prefix(['+', '-']) {
            let n = sign.bytes().take_while(u8::is_ascii_digit).count();
            if n > 0 {
                return Some(4 + n);
            }
        }
        return Some(3);
    }
    let upper = b
        .iter()
        .take(6)
        .take_while(|c| c.is_ascii_uppercase())
        .count();
    match upper {
        3 => Some(3),
        4 if b[3] == b'T' || v.starts_with("WITA") => Some(4),
        5 if b[4] == b'T' => Some(5),
        _ => None,
    }
}

/// `time.ParseInLocation(layout, value, time.Local)`.
fn parse(layout: &str, value: &str) -> Result<Time, String> {
    parse_inner(layout, value).map_err(|f| {
        if f.message.is_empty() {
            format!(
                "parsing time {} as {}: cannot parse {} as {}",
                quote(value),
                quote(layout),
                quote(&f.value_elem),
                quote(&f.layout_elem)
            )
        } else {
            format!("parsing time {}{}", quote(value), f.message)
        }
    })
}

fn parse_inner(alayout: &str, avalue: &str) -> Result<Time, ParseFail> {
    let (mut layout, mut value) = (alayout, avalue);
    let (mut year, mut month, mut day, mut yday) = (0i64, -1i64, -1i64, -1i64);
    let (mut hour, mut min, mut sec, mut nsec) = (0i64, 0i64, 0i64, 0i64);
    let (mut pm, mut am) = (false, false);
    let mut utc = false;
    let mut zone_offset: Option<i64> = None;
    let mut zone_name = String::new();
    loop {
        let (prefix, std, suffix) = next_std(layout);
        let stdstr = &layout[prefix.len()..layout.len() - suffix.len()];
        value = skip(value, prefix).ok_or_else(|| fail(prefix, value))?;
        let Some(std) = std else {
            if !value.is_empty() {
                return Err(ParseFail {
                    message: format!(": extra text: {}", quote(value)),
                    ..fail("", "")
                });
            }
            break;
        };
        layout = suffix;
        let hold = value;
        let mut range = "";
        let res: Option<&str> = (|| -> Option<&str> {
            let v = value;
            Some(match std {
                Std::Year => {
                    let p = v.get(..2)?;
                    year = p
                        .parse()
                        .ok()
                        .filter(|_| p.bytes().all(|c| c.is_ascii_digit()))?;
                    year += if year >= 69 { 1900 } else { 2000 };
                    &v[2..]
                }
                Std::LongYear => {
                    let p = v.get(..4).filter(|_| v.as_bytes()[0].is_ascii_digit())?;
                    year = parse_int(p, 10).filter(|_| p.bytes().all(|c| c.is_ascii_digit()))?;
                    &v[4..]
                }
                Std::Month | Std::LongMonth => {
                    let (m, rest) = lookup(&LONG_MONTHS, v, std == Std::Month)?;
                    month = m as i64 + 1;
                    rest
                }
                Std::NumMonth | Std::ZeroMonth => {
                    let (m, rest) = getnum(v, std == Std::ZeroMonth)?;
                    month = m;
                    if !(1..=12).contains(&m) {
                        range = "month";
                    }
                    rest
                }
                Std::WeekDay | Std::LongWeekDay => lookup(&LONG_DAYS, v, std == Std::WeekDay)?.1,
                Std::Day | Std::UnderDay | Std::ZeroDay => {
                    let v = if std == Std::UnderDay {
                        v.strip_prefix(' ').unwrap_or(v)
                    } else {
                        v
                    };
                    let (d, rest) = getnum(v, std == Std::ZeroDay)?;
                    day = d;
                    rest
                }
                Std::UnderYearDay | Std::ZeroYearDay => {
                    let mut v = v;
                    if std == Std::UnderYearDay {
                        for _ in 0..2 {
                            v = v.strip_prefix(' ').unwrap_or(v);
                        }
                    }
                    let (d, rest) = getnum3(v, std == Std::ZeroYearDay)?;
                    yday = d;
                    rest
                }
                Std::Hour => {
                    let (h, rest) = getnum(v, false)?;
                    hour = h;
                    if !(0..24).contains(&h) {
                        range = "hour";
                    }
                    rest
                }
                Std::Hour12 | Std::ZeroHour12 => {
                    let (h, rest) = getnum(v, std == Std::ZeroHour12)?;
                    hour = h;
                    if !(0..=12).contains(&h) {
                        range = "hour";
                    }
                    rest
                }
                Std::Minute | Std::ZeroMinute => {
                    let (m, rest) = getnum(v, std == Std::ZeroMinute)?;
                    min = m;
                    if !(0..60).contains(&m) {
                        range = "minute";
                    }
                    rest
                }
                Std::Second | Std::ZeroSecond => {
                    let (s, mut rest) = getnum(v, std == Std::ZeroSecond)?;
                    sec = s;
                    if !(0..60).contains(&s) {
                        range = "second";
                        return Some(rest);
                    }
                    let rb = rest.as_bytes();
                    if rb.len() >= 2 && matches!(rb[0], b'.' | b',') && rb[1].is_ascii_digit() {
                        let (_, next, _) = next_std(layout);
                        if !matches!(next, Some(Std::Frac0(..) | Std::Frac9(..))) {
                            let n = 2 + rb[2..].iter().take_while(|c| c.is_ascii_digit()).count();
                            nsec = parse_nanos(rest, n)?;
                            rest = &rest[n..];
                        }
                    }
                    rest
                }
                Std::Pm | Std::PmLower => {
                    let p = v.get(..2)?;
                    let (up, down) = if std == Std::Pm {
                        ("PM", "AM")
                    } else {
                        ("pm", "am")
                    };
                    if p == up {
                        pm = true;
                    } else if p == down {
                        am = true;
                    } else {
                        return None;
                    }
                    &v[2..]
                }
                Std::Iso(_) if v.starts_with('Z') => {
                    utc = true;
                    &v[1..]
                }
                Std::Iso(form) | Std::Num(form) => {
                    let b = v.as_bytes();
                    let (h, m, s, rest) = match form {
                        TzForm::Colon => {
                            if b.len() < 6 || b[3] != b':' {
                                return None;
                            }
                            (v.get(1..3)?, v.get(4..6)?, "00", v.get(6..)?)
                        }
                        TzForm::Short => (v.get(1..3)?, "00", "00", v.get(3..)?),
                        TzForm::ColonSeconds => {
                            if b.len() < 9 || b[3] != b':' || b[6] != b':' {
                                return None;
                            }
                            (v.get(1..3)?, v.get(4..6)?, v.get(7..9)?, v.get(9..)?)
                        }
                        TzForm::Seconds => (v.get(1..3)?, v.get(3..5)?, v.get(5..7)?, v.get(7..)?),
                        TzForm::Plain => (v.get(1..3)?, v.get(3..5)?, "00", v.get(5..)?),
                    };
                    let hr = getnum(h, true)?.0;
                    let mm = getnum(m, true)?.0;
                    let ss = getnum(s, true)?.0;
                    if hr > 24 {
                        range = "time zone offset hour";
                    }
                    if mm > 60 {
                        range = "time zone offset minute";
                    }
                    if ss > 60 {
                        range = "time zone offset second";
                    }
                    let off = (hr * 60 + mm) * 60 + ss;
                    zone_offset = Some(match b[0] {
                        b'+' => off,
                        b'-' => -off,
                        _ => return None,
                    });
                    rest
                }
                Std::Tz => {
                    if let Some(rest) = v.strip_prefix("UTC") {
                        utc = true;
                        rest
                    } else {
                        let n = tz_name_len(v)?;
                        zone_name = v[..n].to_string();
                        &v[n..]
                    }
                }
                Std::Frac0(_, n) => {
                    let nd = 1 + n;
                    if v.len() < nd {
                        return None;
                    }
                    nsec = parse_nanos(v, nd)?;
                    v.get(nd..)?
                }
                Std::Frac9(..) => {
                    let b = v.as_bytes();
                    if b.len() < 2 || !matches!(b[0], b'.' | b',') || !b[1].is_ascii_digit() {
                        return Some(v);
                    }
                    let n = b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
                    nsec = parse_nanos(v, 1 + n)?;
                    &v[1 + n..]
                }
            })
        })();
        match res {
            Some(rest) if range.is_empty() => value = rest,
            Some(rest) => {
                return Err(ParseFail {
                    message: format!(": {range} out of range"),
                    ..fail(stdstr, rest)
                });
            }
            None if !range.is_empty() => {
                return Err(ParseFail {
                    message: format!(": {range} out of range"),
                    ..fail(stdstr, hold)
                });
            }
            None => return Err(fail(stdstr, hold)),
        }
    }
    if pm && hour < 12 {
        hour += 12;
    } else if am && hour == 12 {
        hour = 0;
    }
    let day_range = || ParseFail {
        message: ": day out of range".into(),
        ..fail("", "")
    };
    let y16 = i16::try_from(year).map_err(|_| day_range())?;
    if yday >= 0 {
        let leap = Date::new(y16, 1, 1).is_ok_and(|d| d.in_leap_year());
        if yday < 1 || yday > if leap { 366 } else { 365 } {
            return Err(ParseFail {
                message: ": day-of-year out of range".into(),
                ..fail("", "")
            });
        }
        let d = Date::new(y16, 1, 1)
            .ok()
            .and_then(|d| d.checked_add(jiff::Span::new().days(yday - 1)).ok())
            .ok_or_else(day_range)?;
        if month >= 0 && i64::from(d.month()) != month || day >= 0 && i64::from(d.day()) != day {
            return Err(ParseFail {
                message: ": day-of-year does not match month".into(),
                ..fail("", "")
            });
        }
        month = i64::from(d.month());
        day = i64::from(d.day());
    } else {
        if month < 0 {
            month = 1;
        }
        if day < 0 {
            day = 1;
        }
    }
    let date = Date::new(y16, month as i8, day as i8).map_err(|_| day_range())?;
    let secs = hour * 3600 + min * 60 + sec;
    let base = DateTime::from(date);
    let at_offset = |off: i64| -> Timestamp {
        let ts = Offset::UTC
            .to_timestamp(base)
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let n = ts.as_nanosecond() + i128::from((secs - off) * 1_000_000_000 + nsec);
        Timestamp::from_nanosecond(n).unwrap_or(ts)
    };
    let local = Loc::local();
    if utc {
        return Ok(Time {
            ts: at_offset(0),
            loc: Loc::utc(),
            mono: None,
        });
    }
    if let Some(off) = zone_offset {
        let ts = at_offset(off);
        let (loff, lname) = local.at(ts);
        if i64::from(loff) == off && (zone_name.is_empty() || lname == zone_name) {
            return Ok(Time {
                ts,
                loc: local,
                mono: None,
            });
        }
        return Ok(Time {
            ts,
            loc: Loc::Fixed(zone_name, off as i32),
            mono: None,
        });
    }
    if !zone_name.is_empty() {
        let guess = at_offset(0);
        let (loff, lname) = local.at(guess);
        if lname == zone_name {
            return Ok(Time {
                ts: at_offset(i64::from(loff)),
                loc: local,
                mono: None,
            });
        }
        let mut off = 0i64;
        if zone_name.len() > 3 && zone_name.starts_with("GMT") {
            off = zone_name[3..].parse::<i64>().unwrap_or(0) * 3600;
        }
        return Ok(Time {
            ts: at_offset(off),
            loc: Loc::Fixed(zone_name, off as i32),
            mono: None,
        });
    }
    // No zone in the value: the wall time is read in the local zone.
    let ts = match &local {
        Loc::Tz(_, tz) => {
            let dt = base
                .checked_add(jiff::Span::new().seconds(secs).nanoseconds(nsec))
                .unwrap_or(base);
            tz.to_ambiguous_timestamp(dt)
                .compatible()
                .unwrap_or_else(|_| at_offset(0))
        }
        Loc::Fixed(_, off) => at_offset(i64::from(*off)),
    };
    Ok(Time {
        ts,
        loc: local,
        mono: None,
    })
}
