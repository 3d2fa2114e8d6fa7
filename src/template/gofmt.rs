//! Go's `fmt` printing of template values: `%v`, `Sprint`, `Sprintln`, `Sprintf`.
//!
//! The structure mirrors Go's printer (flags, `pad`, `badVerb`) because the exact
//! output, mistakes included (`%!d(string=x)`), is what charts end up rendering.

use super::unicode_tables;
use super::value::{Object, Value};

/// `fmt.Sprint`: a space between operands when neither side is a string.
pub(crate) fn sprint(args: &[Value]) -> String {
    let mut p = Printer::default();
    let mut prev_string = false;
    for (i, arg) in args.iter().enumerate() {
        let is_string = matches!(arg, Value::Str(_));
        if i > 0 && !is_string && !prev_string {
            p.buf.push(' ');
        }
        p.print_arg(arg, 'v');
        prev_string = is_string;
    }
    p.buf
}

/// How an action prints its value: `%v`, except that a pointer to a struct is
/// dereferenced first (`{a b}`, not `&{a b}`).
pub(crate) fn print_action_value(v: &Value) -> String {
    let mut p = Printer {
        deref_pointer: true,
        ..Printer::default()
    };
    p.print_arg(v, 'v');
    p.buf
}

/// `fmt.Sprintln`: always spaces, then a newline.
pub(crate) fn sprintln(args: &[Value]) -> String {
    let mut p = Printer::default();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            p.buf.push(' ');
        }
        p.print_arg(arg, 'v');
    }
    p.buf.push('\n');
    p.buf
}

/// `fmt.Sprintf`.
pub(crate) fn sprintf(format: &str, args: &[Value]) -> String {
    let mut p = Printer::default();
    p.do_printf(format, args);
    p.buf
}

/// `strconv.Quote`.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    append_quoted(&mut out, s, '"', false);
    out
}

/// Go's `unicode.IsPrint`.
pub(crate) fn is_print(c: char) -> bool {
    in_table(unicode_tables::PRINT, c)
}

pub(crate) fn in_table(table: &[(u32, u32)], c: char) -> bool {
    let c = c as u32;
    table
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

const NIL_ANGLE: &str = "<nil>";

#[derive(Default, Clone, Copy)]
struct Flags {
    wid: Option<usize>,
    prec: Option<usize>,
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    plus_v: bool,
    sharp_v: bool,
}

#[derive(Default)]
struct Printer {
    buf: String,
    f: Flags,
    deref_pointer: bool,
}

/// Width and precision above this are treated as absent, as in Go.
const TOO_LARGE: usize = 1_000_000;

/// Containers nested deeper than this print as `...`: Go would overflow its stack
/// on a map that contains itself; we must not.
const MAX_PRINT_DEPTH: usize = 1_000;

impl Printer {
    fn write_padding(&mut self, n: usize) {
        let pad = if self.f.zero && !self.f.minus {
            '0'
        } else {
            ' '
        };
        self.buf.extend(std::iter::repeat_n(pad, n));
    }

    fn pad(&mut self, s: &str) {
        let Some(wid) = self.f.wid.filter(|w| *w > 0) else {
            self.buf.push_str(s);
            return;
        };
        let width = wid.saturating_sub(s.chars().count());
        if self.f.minus {
            self.buf.push_str(s);
            self.write_padding(width);
        } else {
            self.write_padding(width);
            self.buf.push_str(s);
        }
    }

    /// Pads with spaces even when the `0` flag is set.
    fn pad_spaces(&mut self, s: &str) {
        let zero = std::mem::replace(&mut self.f.zero, false);
        self.pad(s);
        self.f.zero = zero;
    }

    fn bad_verb(&mut self, verb: char, arg: &Value) {
        self.buf.push_str("%!");
        self.buf.push(verb);
        self.buf.push('(');
        if arg.is_nil() {
            self.buf.push_str(NIL_ANGLE);
        } else {
            self.buf.push_str(&arg.type_name());
            self.buf.push('=');
            self.print_arg(arg, 'v');
        }
        self.buf.push(')');
    }

    fn print_arg(&mut self, arg: &Value, verb: char) {
        if arg.is_nil() {
            match verb {
                'T' | 'v' => self.pad(NIL_ANGLE),
                _ => self.bad_verb(verb, arg),
            }
            return;
        }
        if verb == 'T' {
            self.fmt_s(&arg.type_name());
            return;
        }
        self.print_value(arg, verb, 0);
    }

    fn print_value(&mut self, v: &Value, verb: char, depth: usize) {
        if depth > MAX_PRINT_DEPTH {
            self.buf.push_str("...");
            return;
        }
        match v {
            Value::Nil => {
                // Only reachable inside containers: a nil interface element.
                if self.f.sharp_v {
                    self.buf.push_str("interface {}(nil)");
                } else {
                    self.buf.push_str(NIL_ANGLE);
                }
            }
            Value::Bool(b) => match verb {
                't' | 'v' => self.pad(if *b { "true" } else { "false" }),
                _ => self.bad_verb(verb, v),
            },
            Value::Int(i) | Value::Int64(i) => self.fmt_integer_verb(*i, verb, v),
            Value::Float(x) => self.fmt_float_verb(*x, verb, v),
            Value::Str(s) => self.fmt_string(s, verb, v),
            Value::List(items) => self.print_list(v, items, verb, depth),
            Value::Map(m) => {
                if self.f.sharp_v {
                    self.buf.push_str(m.kind().type_name());
                    self.buf.push('{');
                } else {
                    self.buf.push_str("map[");
                }
                for (i, (k, val)) in m.snapshot().iter().enumerate() {
                    if i > 0 {
                        self.buf.push_str(if self.f.sharp_v { ", " } else { " " });
                    }
                    self.fmt_string(k, verb, &Value::str(k));
                    self.buf.push(':');
                    self.print_value(val, verb, depth + 1);
                }
                self.buf.push(if self.f.sharp_v { '}' } else { ']' });
            }
            Value::Object(o) => self.print_object(o.as_ref(), v, verb, depth),
        }
    }

    fn print_object(&mut self, o: &dyn Object, v: &Value, verb: char, depth: usize) {
        let stringer = !self.f.sharp_v && matches!(verb, 'v' | 's' | 'x' | 'X' | 'q');
        let own_string = o.stringer().or_else(|| {
            // An action's value is addressable: pointer methods apply to it.
            (depth == 0 && self.deref_pointer)
                .then(|| o.pointer_stringer())
                .flatten()
        });
        if let Some(s) = own_string.filter(|_| stringer) {
            return self.fmt_string(&s, verb, v);
        }
        if let Some(inner) = o.underlying() {
            return self.print_value(&inner, verb, depth + 1);
        }
        if o.is_pointer() && !(depth == 0 && self.deref_pointer) {
            if depth > 0 {
                // Go prints the address here; there is no stable equivalent.
                self.buf.push_str("0xc000000000");
                return;
            }
            self.buf.push('&');
        }
        self.buf.push('{');
        for (i, (name, field)) in o.struct_fields().iter().enumerate() {
            if i > 0 {
                self.buf.push(' ');
            }
            if self.f.plus_v || self.f.sharp_v {
                self.buf.push_str(name);
                self.buf.push(':');
            }
            self.print_value(field, verb, depth + 1);
        }
        self.buf.push('}');
    }

    fn print_list(&mut self, v: &Value, items: &[Value], verb: char, depth: usize) {
        if self.f.sharp_v {
            self.buf.push_str(&v.type_name());
            self.buf.push('{');
        } else {
            self.buf.push('[');
        }
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.buf.push_str(if self.f.sharp_v { ", " } else { " " });
            }
            self.print_value(item, verb, depth + 1);
        }
        self.buf.push(if self.f.sharp_v { '}' } else { ']' });
    }

    fn fmt_integer_verb(&mut self, i: i64, verb: char, v: &Value) {
        let u = i as u64;
        match verb {
            'v' | 'd' => self.fmt_integer(u, 10, true, verb, false),
            'b' => self.fmt_integer(u, 2, true, verb, false),
            'o' | 'O' => self.fmt_integer(u, 8, true, verb, false),
            'x' => self.fmt_integer(u, 16, true, verb, false),
            'X' => self.fmt_integer(u, 16, true, verb, true),
            'c' => {
                let c = rune_or_replacement(u);
                self.pad(c.encode_utf8(&mut [0; 4]));
            }
            'q' => {
                let c = rune_or_replacement(u);
                let mut s = String::new();
                append_quoted_rune(&mut s, c, self.f.plus);
                self.pad(&s);
            }
            'U' => self.fmt_unicode(u),
            _ => self.bad_verb(verb, v),
        }
    }

    fn fmt_integer(&mut self, u: u64, base: u64, signed: bool, verb: char, upper: bool) {
        let negative = signed && (u as i64) < 0;
        let mut u = if negative { u.wrapping_neg() } else { u };
        let mut prec = 0;
        if let Some(p) = self.f.prec {
            prec = p;
            if p == 0 && u == 0 {
                let zero = std::mem::replace(&mut self.f.zero, false);
                self.write_padding(self.f.wid.unwrap_or(0));
                self.f.zero = zero;
                return;
            }
        } else if let (true, false, Some(w)) = (self.f.zero, self.f.minus, self.f.wid) {
            prec = w;
            if negative || self.f.plus || self.f.space {
                prec = prec.saturating_sub(1);
            }
        }
        let digits: &[u8] = if upper {
            b"0123456789ABCDEFX"
        } else {
            b"0123456789abcdefx"
        };
        let mut out: Vec<u8> = Vec::with_capacity(24);
        loop {
            out.push(digits[(u % base) as usize]);
            u /= base;
            if u == 0 {
                break;
            }
        }
        while out.len() < prec {
            out.push(b'0');
        }
        if self.f.sharp {
            match base {
                2 => out.extend_from_slice(b"b0"),
                8 if out.last() != Some(&b'0') => out.push(b'0'),
                16 => {
                    out.push(digits[16]);
                    out.push(b'0');
                }
                _ => {}
            }
        }
        if verb == 'O' {
            out.extend_from_slice(b"o0");
        }
        if negative {
            out.push(b'-');
        } else if self.f.plus {
            out.push(b'+');
        } else if self.f.space {
            out.push(b' ');
        }
        out.reverse();
        let s = String::from_utf8_lossy(&out).into_owned();
        self.pad_spaces(&s);
    }

    fn fmt_unicode(&mut self, u: u64) {
        let mut s = format!("U+{u:04X}");
        if let Some(p) = self.f.prec.filter(|p| *p > 4) {
            s = format!("U+{u:0p$X}");
        }
        if self.f.sharp
            && let Some(c) = char::from_u32(u as u32).filter(|c| u <= 0x10FFFF && is_print(*c))
        {
            s.push_str(" '");
            s.push(c);
            s.push('\'');
        }
        self.pad_spaces(&s);
    }

    fn fmt_float_verb(&mut self, x: f64, verb: char, v: &Value) {
        match verb {
            'v' => self.fmt_float(x, 'g', None),
            'b' | 'g' | 'G' | 'x' | 'X' => self.fmt_float(x, verb, None),
            'f' | 'e' | 'E' => self.fmt_float(x, verb, Some(6)),
            'F' => self.fmt_float(x, 'f', Some(6)),
            _ => self.bad_verb(verb, v),
        }
    }

    fn fmt_float(&mut self, x: f64, verb: char, default_prec: Option<usize>) {
        let prec = self.f.prec.or(default_prec);
        let body = format_float(x, verb, prec);
        // `num` carries an explicit sign in front, like Go's buffer.
        let mut num = if body.starts_with('-') || body.starts_with('+') {
            body
        } else {
            format!("+{body}")
        };
        if self.f.space && num.starts_with('+') && !self.f.plus {
            num.replace_range(0..1, " ");
        }
        if num[1..].starts_with('I') || num[1..].starts_with('N') {
            if num[1..].starts_with('N') && !self.f.space && !self.f.plus {
                num.remove(0);
            }
            self.pad_spaces(&num);
            return;
        }
        if self.f.sharp && verb != 'b' {
            num = sharp_float(&num, verb, prec);
        }
        if self.f.plus || !num.starts_with('+') {
            if let (true, false, Some(w)) = (self.f.zero, self.f.minus, self.f.wid)
                && w > num.len()
            {
                let (sign, rest) = num.split_at(1);
                self.buf.push_str(sign);
                self.write_padding(w - num.len());
                self.buf.push_str(rest);
                return;
            }
            self.pad(&num);
            return;
        }
        self.pad(&num[1..]);
    }

    fn fmt_string(&mut self, s: &str, verb: char, v: &Value) {
        match verb {
            'v' if self.f.sharp_v => self.fmt_q(s),
            'v' | 's' => self.fmt_s(s),
            'x' => self.fmt_sx(s, false),
            'X' => self.fmt_sx(s, true),
            'q' => self.fmt_q(s),
            _ => self.bad_verb(verb, v),
        }
    }

    fn truncate<'s>(&self, s: &'s str) -> &'s str {
        match self.f.prec {
            Some(p) => s.char_indices().nth(p).map_or(s, |(i, _)| &s[..i]),
            None => s,
        }
    }

    fn fmt_s(&mut self, s: &str) {
        let s = self.truncate(s);
        self.pad(s);
    }

    fn fmt_q(&mut self, s: &str) {
        let s = self.truncate(s);
        if self.f.sharp && can_backquote(s) {
            self.pad(&format!("`{s}`"));
            return;
        }
        let mut out = String::with_capacity(s.len() + 2);
        append_quoted(&mut out, s, '"', self.f.plus);
        self.pad(&out);
    }

    fn fmt_sx(&mut self, s: &str, upper: bool) {
        let digits: &[u8] = if upper {
            b"0123456789ABCDEFX"
        } else {
            b"0123456789abcdefx"
        };
        let bytes = s.as_bytes();
        let length = self.f.prec.map_or(bytes.len(), |p| p.min(bytes.len()));
        let mut width = 2 * length;
        if width == 0 {
            if let Some(w) = self.f.wid {
                self.write_padding(w);
            }
            return;
        }
        if self.f.space {
            if self.f.sharp {
                width *= 2;
            }
            width += length - 1;
        } else if self.f.sharp {
            width += 2;
        }
        let wid = self.f.wid.unwrap_or(0);
        if wid > width && !self.f.minus {
            self.write_padding(wid - width);
        }
        let mut out = Vec::with_capacity(width);
        if self.f.sharp {
            out.extend_from_slice(&[b'0', digits[16]]);
        }
        for (i, c) in bytes[..length].iter().enumerate() {
            if self.f.space && i > 0 {
                out.push(b' ');
                if self.f.sharp {
                    out.extend_from_slice(&[b'0', digits[16]]);
                }
            }
            out.push(digits[(c >> 4) as usize]);
            out.push(digits[(c & 0xF) as usize]);
        }
        self.buf.push_str(&String::from_utf8_lossy(&out));
        if wid > width && self.f.minus {
            self.write_padding(wid - width);
        }
    }

    fn do_printf(&mut self, format: &str, args: &[Value]) {
        let fb = format.as_bytes();
        let end = fb.len();
        let mut arg_num = 0usize;
        let mut after_index;
        let mut reordered = false;
        let mut i = 0;
        while i < end {
            let mut good_arg_num = true;
            let lasti = i;
            while i < end && fb[i] != b'%' {
                i += 1;
            }
            if i > lasti {
                self.buf.push_str(&format[lasti..i]);
            }
            if i >= end {
                break;
            }
            i += 1;
            self.f = Flags::default();
            // Flags, and the fast path for a plain lowercase verb.
            let mut simple_done = false;
            while i < end {
                match fb[i] {
                    b'#' => self.f.sharp = true,
                    b'0' => self.f.zero = true,
                    b'+' => self.f.plus = true,
                    b'-' => self.f.minus = true,
                    b' ' => self.f.space = true,
                    c => {
                        if c.is_ascii_lowercase() && arg_num < args.len() {
                            if c == b'v' || c == b'w' {
                                self.move_v_flags();
                            }
                            self.print_arg(&args[arg_num], c as char);
                            arg_num += 1;
                            i += 1;
                            simple_done = true;
                        }
                        break;
                    }
                }
                i += 1;
            }
            if simple_done {
                continue;
            }
            (arg_num, i, after_index) = self.arg_number(
                arg_num,
                format,
                i,
                args.len(),
                &mut reordered,
                &mut good_arg_num,
            );
            if i < end && fb[i] == b'*' {
                i += 1;
                let (n, ok, next) = int_from_arg(args, arg_num);
                arg_num = next;
                if !ok {
                    self.buf.push_str("%!(BADWIDTH)");
                    self.f.wid = None;
                } else if n < 0 {
                    self.f.wid = Some(n.unsigned_abs() as usize);
                    self.f.minus = true;
                    self.f.zero = false;
                } else {
                    self.f.wid = Some(n as usize);
                }
                after_index = false;
            } else {
                let (n, ok, next) = parse_num(fb, i, end);
                self.f.wid = ok.then_some(n);
                i = next;
                if after_index && ok {
                    good_arg_num = false;
                }
            }
            if i + 1 < end && fb[i] == b'.' {
                i += 1;
                if after_index {
                    good_arg_num = false;
                }
                (arg_num, i, after_index) = self.arg_number(
                    arg_num,
                    format,
                    i,
                    args.len(),
                    &mut reordered,
                    &mut good_arg_num,
                );
                if i < end && fb[i] == b'*' {
                    i += 1;
                    let (n, ok, next) = int_from_arg(args, arg_num);
                    arg_num = next;
                    self.f.prec = (ok && n >= 0).then_some(n as usize);
                    if !ok {
                        self.buf.push_str("%!(BADPREC)");
                    }
                    after_index = false;
                } else {
                    let (n, ok, next) = parse_num(fb, i, end);
                    self.f.prec = Some(if ok { n } else { 0 });
                    i = next;
                }
            }
            if !after_index {
                (arg_num, i, _) = self.arg_number(
                    arg_num,
                    format,
                    i,
                    args.len(),
                    &mut reordered,
                    &mut good_arg_num,
                );
            }
            if i >= end {
                self.buf.push_str("%!(NOVERB)");
                break;
            }
            let verb = format[i..].chars().next().unwrap_or('%');
            i += verb.len_utf8();
            if verb == '%' {
                self.buf.push('%');
            } else if !good_arg_num {
                self.buf.push_str("%!");
                self.buf.push(verb);
                self.buf.push_str("(BADINDEX)");
            } else if arg_num >= args.len() {
                self.buf.push_str("%!");
                self.buf.push(verb);
                self.buf.push_str("(MISSING)");
            } else {
                if verb == 'v' || verb == 'w' {
                    self.move_v_flags();
                }
                self.print_arg(&args[arg_num], verb);
                arg_num += 1;
            }
        }
        if !reordered && arg_num < args.len() {
            self.f = Flags::default();
            self.buf.push_str("%!(EXTRA ");
            for (i, arg) in args[arg_num..].iter().enumerate() {
                if i > 0 {
                    self.buf.push_str(", ");
                }
                if arg.is_nil() {
                    self.buf.push_str(NIL_ANGLE);
                } else {
                    self.buf.push_str(&arg.type_name());
                    self.buf.push('=');
                    self.print_arg(arg, 'v');
                }
            }
            self.buf.push(')');
        }
    }

    /// `%#v` and `%+v` are their own modes, not the `#`/`+` flags.
    fn move_v_flags(&mut self) {
        self.f.sharp_v = std::mem::take(&mut self.f.sharp);
        self.f.plus_v = std::mem::take(&mut self.f.plus);
    }

    /// An explicit argument index `[n]`; returns (arg number, new i, found).
    fn arg_number(
        &mut self,
        arg_num: usize,
        format: &str,
        i: usize,
        num_args: usize,
        reordered: &mut bool,
        good: &mut bool,
    ) -> (usize, usize, bool) {
        let fb = format.as_bytes();
        if i >= fb.len() || fb[i] != b'[' {
            return (arg_num, i, false);
        }
        *reordered = true;
        let (index, wid, ok) = parse_arg_number(&fb[i..]);
        if ok && index < num_args {
            return (index, i + wid, true);
        }
        *good = false;
        (arg_num, i + wid, ok)
    }
}

/// Parses `[n]`: (zero-based index, bytes consumed, ok).
fn parse_arg_number(f: &[u8]) -> (usize, usize, bool) {
    if f.len() < 3 {
        return (0, 1, false);
    }
    for i in 1..f.len() {
        if f[i] == b']' {
            let (n, ok, newi) = parse_num(f, 1, i);
            if !ok || newi != i || n == 0 {
                // Go's "width - 1" for n == 0 is -1: an invalid index.
                return (usize::MAX, i + 1, ok && newi == i);
            }
            return (n - 1, i + 1, true);
        }
    }
    (0, 1, false)
}

fn parse_num(f: &[u8], start: usize, end: usize) -> (usize, bool, usize) {
    if start >= end {
        return (0, false, end);
    }
    let mut num = 0usize;
    let mut isnum = false;
    let mut i = start;
    while i < end && f[i].is_ascii_digit() {
        if num > TOO_LARGE {
            return (0, false, end);
        }
        num = num * 10 + (f[i] - b'0') as usize;
        isnum = true;
        i += 1;
    }
    (num, isnum, i)
}

/// A `*` width or precision: (value, ok, next argument).
fn int_from_arg(args: &[Value], arg_num: usize) -> (i64, bool, usize) {
    let Some(arg) = args.get(arg_num) else {
        return (0, false, arg_num);
    };
    match arg.as_int() {
        Some(n) if n.unsigned_abs() <= TOO_LARGE as u64 => (n, true, arg_num + 1),
        _ => (0, false, arg_num + 1),
    }
}

fn rune_or_replacement(u: u64) -> char {
    u32::try_from(u)
        .ok()
        .and_then(char::from_u32)
        .unwrap_or('\u{FFFD}')
}

fn can_backquote(s: &str) -> bool {
    s.chars()
        .all(|c| !((c < ' ' && c != '\t') || c == '`' || c == '\u{7F}' || c == '\u{FEFF}'))
}

/// `strconv` quoting: Go escapes, `\u`/`\U` for non-printable runes.
fn append_quoted(out: &mut String, s: &str, quote: char, ascii_only: bool) {
    out.push(quote);
    for c in s.chars() {
        if super::gobytes::is_raw_byte(c) {
            // strconv quotes a byte of broken UTF-8 as `\xff`.
            let byte = super::gobytes::string_bytes(c.encode_utf8(&mut [0; 4]))[0];
            out.push_str(&format!("\\x{byte:02x}"));
            continue;
        }
        append_escaped_rune(out, c, quote, ascii_only);
    }
    out.push(quote);
}

fn append_quoted_rune(out: &mut String, c: char, ascii_only: bool) {
    out.push('\'');
    append_escaped_rune(out, c, '\'', ascii_only);
    out.push('\'');
}

fn append_escaped_rune(out: &mut String, c: char, quote: char, ascii_only: bool) {
    if c == quote || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    let printable = if ascii_only {
        c.is_ascii() && is_print(c)
    } else {
        is_print(c)
    };
    if printable {
        out.push(c);
        return;
    }
    match c {
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\x0C' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\x0B' => out.push_str("\\v"),
        c if c < ' ' || c == '\x7F' => out.push_str(&format!("\\x{:02x}", c as u32)),
        c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push_str(&format!("\\U{:08x}", c as u32)),
    }
}

/// `strconv.FormatFloat(x, verb, prec, 64)`; `None` precision means shortest.
pub(crate) fn format_float(x: f64, verb: char, prec: Option<usize>) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let neg = x.is_sign_negative();
    let body = match verb {
        'b' => fmt_b(x),
        'x' | 'X' => fmt_x(x, verb, prec),
        'f' => match prec {
            Some(p) => format!("{:.*}", p, x.abs()),
            None => {
                let d = Digits::shortest(x);
                let p = (d.nd() as i32 - d.dp).max(0) as usize;
                d.fixed(p)
            }
        },
        'e' | 'E' => {
            let d = match prec {
                Some(p) => Digits::rounded(x, p + 1),
                None => Digits::shortest(x),
            };
            let p = prec.unwrap_or(d.nd().saturating_sub(1));
            d.exp(p, verb)
        }
        _ => fmt_g(x, verb, prec),
    };
    if neg && !body.starts_with('-') && verb != 'b' && verb != 'x' && verb != 'X' {
        format!("-{body}")
    } else {
        body
    }
}

fn fmt_g(x: f64, verb: char, prec: Option<usize>) -> String {
    let e = if verb == 'G' { 'E' } else { 'e' };
    let (d, mut p, eprec) = match prec {
        None => {
            let d = Digits::shortest(x);
            let n = d.nd();
            (d, n, 6)
        }
        Some(p) => {
            let p = p.max(1);
            let d = Digits::rounded(x, p);
            let mut eprec = p;
            if eprec > d.nd() && d.nd() as i32 >= d.dp {
                eprec = d.nd();
            }
            (d, p, eprec)
        }
    };
    let exp = d.dp - 1;
    if exp < -4 || exp >= eprec as i32 {
        if p > d.nd() {
            p = d.nd();
        }
        return d.exp(p.saturating_sub(1), e);
    }
    if p as i32 > d.dp {
        p = d.nd();
    }
    d.fixed((p as i32 - d.dp).max(0) as usize)
}

/// A decimal digit string `0.d1d2…dn × 10^dp`, trailing zeros trimmed, like Go's.
struct Digits {
    digits: Vec<u8>,
    dp: i32,
}

impl Digits {
    fn shortest(x: f64) -> Digits {
        Digits::parse_exp(&format!("{:e}", x.abs()))
    }

    /// `n` significant digits, correctly rounded.
    fn rounded(x: f64, n: usize) -> Digits {
        Digits::parse_exp(&format!("{:.*e}", n.saturating_sub(1), x.abs()))
    }

    /// Parses Rust's `d.ddde[-]N`.
    fn parse_exp(s: &str) -> Digits {
        let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let mut digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
        while digits.last() == Some(&b'0') {
            digits.pop();
        }
        if digits.is_empty() {
            return Digits { digits, dp: 0 };
        }
        Digits {
            digits,
            dp: exp + 1,
        }
    }

    fn nd(&self) -> usize {
        self.digits.len()
    }

    fn digit(&self, i: i32) -> char {
        if i < 0 {
            return '0';
        }
        self.digits.get(i as usize).map_or('0', |d| *d as char)
    }

    /// `%e`: d.ddd…e±dd with `prec` digits after the point.
    fn exp(&self, prec: usize, e: char) -> String {
        let mut s = String::new();
        s.push(if self.nd() == 0 { '0' } else { self.digit(0) });
        if prec > 0 {
            s.push('.');
            for i in 1..=prec {
                s.push(self.digit(i as i32));
            }
        }
        s.push(e);
        let exp = if self.nd() == 0 { 0 } else { self.dp - 1 };
        s.push(if exp < 0 { '-' } else { '+' });
        let a = exp.unsigned_abs();
        if a < 10 {
            s.push('0');
        }
        s.push_str(&a.to_string());
        s
    }

    /// `%f` with `prec` digits after the point.
    fn fixed(&self, prec: usize) -> String {
        let mut s = String::new();
        if self.dp > 0 {
            for i in 0..self.dp {
                s.push(self.digit(i));
            }
        } else {
            s.push('0');
        }
        if prec > 0 {
            s.push('.');
            for i in 1..=prec as i32 {
                s.push(self.digit(self.dp + i - 1));
            }
        }
        s
    }
}

/// Mantissa and binary exponent of a finite float64, as Go's `strconv` splits them.
fn float_parts(x: f64) -> (u64, i32) {
    let bits = x.to_bits();
    let mut exp = ((bits >> 52) & 0x7FF) as i32;
    let mut mant = bits & ((1 << 52) - 1);
    if exp == 0 {
        exp += 1;
    } else {
        mant |= 1 << 52;
    }
    (mant, exp - 1023)
}

/// `%b`: decimal mantissa, `p`, binary exponent.
fn fmt_b(x: f64) -> String {
    let (mant, exp) = float_parts(x);
    let exp = exp - 52;
    let sign = if x.is_sign_negative() { "-" } else { "" };
    let esign = if exp >= 0 { "+" } else { "" };
    format!("{sign}{mant}p{esign}{exp}")
}

/// `%x`: hexadecimal mantissa and binary exponent (`0x1.8p+01`).
fn fmt_x(x: f64, verb: char, prec: Option<usize>) -> String {
    let (mut mant, mut exp) = float_parts(x);
    if mant == 0 {
        exp = 0;
    }
    mant <<= 60 - 52;
    while mant != 0 && mant & (1 << 60) == 0 {
        mant <<= 1;
        exp -= 1;
    }
    if let Some(p) = prec.filter(|p| *p < 15) {
        let shift = (p * 4) as u32;
        let extra = (mant << shift) & ((1 << 60) - 1);
        mant >>= 60 - shift;
        if extra | (mant & 1) > 1 << 59 {
            mant += 1;
        }
        mant <<= 60 - shift;
        if mant & (1 << 61) != 0 {
            mant >>= 1;
            exp += 1;
        }
    }
    let hex: &[u8] = if verb == 'X' {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut s = String::new();
    if x.is_sign_negative() {
        s.push('-');
    }
    s.push('0');
    s.push(verb);
    s.push(if (mant >> 60) & 1 == 1 { '1' } else { '0' });
    mant <<= 4;
    match prec {
        None if mant != 0 => {
            s.push('.');
            while mant != 0 {
                s.push(hex[((mant >> 60) & 15) as usize] as char);
                mant <<= 4;
            }
        }
        Some(p) if p > 0 => {
            s.push('.');
            for _ in 0..p {
                s.push(hex[((mant >> 60) & 15) as usize] as char);
                mant <<= 4;
            }
        }
        _ => {}
    }
    s.push(if verb == 'X' { 'P' } else { 'p' });
    s.push(if exp < 0 { '-' } else { '+' });
    let a = exp.unsigned_abs();
    if a < 10 {
        s.push('0');
    }
    s.push_str(&a.to_string());
    s
}

/// The `#` flag on floats: keep the decimal point and trailing zeros.
fn sharp_float(num: &str, verb: char, prec: Option<usize>) -> String {
    let mut digits: i64 = match verb {
        'v' | 'g' | 'G' | 'x' => prec.map_or(6, |p| p as i64),
        _ => 0,
    };
    let bytes = num.as_bytes();
    let mut head_end = bytes.len();
    let mut tail = "";
    let mut has_point = false;
    let mut saw_nonzero = false;
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'.' => has_point = true,
            b'p' | b'P' => {
                tail = &num[i..];
                head_end = i;
                break;
            }
            b'e' | b'E' if verb != 'x' && verb != 'X' => {
                tail = &num[i..];
                head_end = i;
                break;
            }
            c => {
                if c != b'0' {
                    saw_nonzero = true;
                }
                if saw_nonzero {
                    digits -= 1;
                }
            }
        }
        i += 1;
    }
    let mut out = num[..head_end].to_string();
    if !has_point {
        if out.len() == 2 && out.ends_with('0') {
            digits -= 1;
        }
        out.push('.');
    }
    while digits > 0 {
        out.push('0');
        digits -= 1;
    }
    out.push_str(tail);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::value::Map;

    fn s(x: &str) -> Value {
        Value::str(x)
    }

    #[test]
    fn floats_print_like_go_v() {
        let cases = [
            (1e6, "1e+06"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (1234567.5, "1.2345675e+06"),
            (123456789012.0, "1.23456789012e+11"),
            (2.5, "2.5"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1.0, "1"),
            (0.0, "0"),
            (-0.0, "-0"),
            (1e21, "1e+21"),
            (12345678901234567890.0, "1.2345678901234567e+19"),
            (f64::INFINITY, "+Inf"),
            (f64::NAN, "NaN"),
        ];
        for (x, want) in cases {
            assert_eq!(sprint(&[Value::Float(x)]), want, "{x}");
        }
    }

    #[test]
    fn containers_print_like_go() {
        let m = Map::default();
        m.insert("b", Value::Int(2));
        m.insert("a", Value::Float(1.5));
        let l = Value::list(vec![Value::Int(1), s("two"), Value::Nil]);
        assert_eq!(sprint(&[Value::Map(m)]), "map[a:1.5 b:2]");
        assert_eq!(sprint(&[l]), "[1 two <nil>]");
        assert_eq!(sprint(&[Value::Map(Map::default())]), "map[]");
        assert_eq!(sprint(&[Value::Nil]), "<nil>");
    }

    #[test]
    fn sprint_spaces_only_between_non_strings() {
        let args = [
            Value::Int(1),
            Value::Int(2),
            s("a"),
            Value::Int(3),
            s("b"),
            s("c"),
        ];
        assert_eq!(sprint(&args), "1 2a3bc");
        assert_eq!(sprintln(&args), "1 2 a 3 b c\n");
    }

    #[test]
    fn printf_verbs() {
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            (
                "%d|%5d|%-5d|%05d",
                vec![Value::Int(42); 4],
                "42|   42|42   |00042",
            ),
            (
                "%x %X %o %O %b",
                vec![Value::Int(255); 5],
                "ff FF 377 0o377 11111111",
            ),
            (
                "%#x %#o %+d % d",
                vec![Value::Int(255), Value::Int(8), Value::Int(3), Value::Int(3)],
                "0xff 010 +3  3",
            ),
            (
                "%s|%q|%10s|%-4s|%.2s",
                vec![s("héllo"), s("a\"b\n"), s("x"), s("y"), s("abc")],
                "héllo|\"a\\\"b\\n\"|         x|y   |ab",
            ),
            (
                "%x %X % x",
                vec![s("hi"), s("hi"), s("hi")],
                "6869 6869 68 69",
            ),
            (
                "%e %E %f %g %G",
                vec![Value::Float(1234.5678); 5],
                "1.234568e+03 1.234568E+03 1234.567800 1234.5678 1234.5678",
            ),
            (
                "%.2f %8.3f %-8.1f| %+.1e",
                vec![Value::Float(3.14259); 4],
                "3.14    3.143 3.1     | +3.1e+00",
            ),
            (
                "%t %v",
                vec![Value::Bool(true), Value::Bool(false)],
                "true false",
            ),
            (
                "%c %U %#U %q",
                vec![
                    Value::Int(65),
                    Value::Int(0x1F600),
                    Value::Int(65),
                    Value::Int(97),
                ],
                "A U+1F600 U+0041 'A' 'a'",
            ),
            (
                "%T %T %T %T %T %T",
                vec![
                    Value::Int(1),
                    Value::Int64(1),
                    Value::Float(1.0),
                    s(""),
                    Value::list(vec![]),
                    Value::Nil,
                ],
                "int int64 float64 string []interface {} <nil>",
            ),
            ("100%%", vec![], "100%"),
            ("%v %+v", vec![Value::Float(1e6), Value::Int(1)], "1e+06 1"),
            (
                "%#v %#v",
                vec![s("a"), Value::list(vec![Value::Int(1), s("b"), Value::Nil])],
                "\"a\" []interface {}{1, \"b\", interface {}(nil)}",
            ),
            (
                "%*d|%-*d|%.*f",
                vec![
                    Value::Int(4),
                    Value::Int(7),
                    Value::Int(3),
                    Value::Int(7),
                    Value::Int(1),
                    Value::Float(2.25),
                ],
                "   7|7  |2.2",
            ),
            ("%[2]d %[1]d", vec![Value::Int(1), Value::Int(2)], "2 1"),
            (
                "%05s|%.0d|%x",
                vec![s("ab"), Value::Int(0), Value::Float(1.0)],
                "000ab||0x1p+00",
            ),
        ];
        for (f, args, want) in cases {
            assert_eq!(sprintf(f, &args), want, "format {f}");
        }
    }

    #[test]
    fn printf_mistakes_are_printed_like_go() {
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            ("%d", vec![s("x")], "%!d(string=x)"),
            ("%s", vec![Value::Nil], "%!s(<nil>)"),
            ("%s", vec![Value::Int(1)], "%!s(int=1)"),
            ("%d %d", vec![Value::Int(1)], "1 %!d(MISSING)"),
            (
                "%d",
                vec![Value::Int(1), s("x"), Value::Nil],
                "1%!(EXTRA string=x, <nil>)",
            ),
            ("%!", vec![], "%!!(MISSING)"),
            ("%", vec![], "%!(NOVERB)"),
            ("%z", vec![Value::Int(1)], "%!z(int=1)"),
            (
                "%d",
                vec![Value::list(vec![s("a"), Value::Int(2)])],
                "[%!d(string=a) 2]",
            ),
            ("%[3]d", vec![Value::Int(1)], "%!d(BADINDEX)"),
            ("%*d", vec![s("x"), Value::Int(1)], "%!(BADWIDTH)1"),
        ];
        for (f, args, want) in cases {
            assert_eq!(sprintf(f, &args), want, "format {f}");
        }
    }

    #[test]
    fn quote_escapes_like_strconv() {
        assert_eq!(quote("a\tb\u{7}é\u{ad}😀"), "\"a\\tb\\aé\\u00ad😀\"");
        assert_eq!(quote("\x01"), "\"\\x01\"");
    }
}
