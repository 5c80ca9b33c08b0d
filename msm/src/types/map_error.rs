//! What can be wrong with a map file, or with a value given for one of its variables.
//!
//! Every error names the file, the line and column when there is one, the variable when
//! there is one, and the problem with how to fix it.

use std::fmt;

use super::Area;
use super::suggest;
use super::var_type::VarType;
use crate::types::Error;

/// A problem with a map file or with a value for one of its variables.
///
/// Its message reads `FILE:LINE:COLUMN: variable NAME: PROBLEM`, leaving out what does
/// not apply. The parts are also available one by one.
///
/// ```
/// let err = msm::Map::from_toml_str(
///     "[memory]\nholding_registers = 4\n[vars]\nX = { area = \"holding\", address = 0, type = \"u33\" }\n",
/// )
/// .unwrap_err();
/// assert_eq!(err.file(), "<string>");
/// assert_eq!(err.variable(), Some("X"));
/// assert_eq!(err.position().map(|p| p.line), Some(4));
/// assert!(matches!(err.kind(), msm::map::MapErrorKind::UnknownType { .. }));
/// assert!(err.to_string().starts_with("<string>:4:"));
/// ```
#[derive(Debug, thiserror::Error)]
#[error("{}{kind}", Prefix(self))]
pub struct MapError {
    file: String,
    position: Option<Position>,
    variable: Option<String>,
    // Boxed: the kind may hold an `Error`, which may hold a `MapError`.
    kind: Box<MapErrorKind>,
}

/// A place in a map file, both numbers counted from 1.
///
/// ```
/// use msm::map::Position;
/// let err = msm::Map::from_toml_str("[memory]\nholding_register = 8\n").unwrap_err();
/// assert_eq!(err.position(), Some(Position { line: 2, column: 1 }));
/// assert!(err.to_string().starts_with("<string>:2:1: "));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    /// The line.
    pub line: usize,
    /// The column, in characters.
    pub column: usize,
}

impl Position {
    /// The position of byte `offset` of `text` (clamped to the text).
    pub(crate) fn of(text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Position {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

impl MapError {
    pub(crate) fn new(
        file: &str,
        position: Option<Position>,
        variable: Option<&str>,
        kind: MapErrorKind,
    ) -> MapError {
        MapError {
            file: file.to_string(),
            position,
            variable: variable.map(str::to_string),
            kind: Box::new(kind),
        }
    }

    /// The file: the path given to [`Map::from_path`](super::Map::from_path), or
    /// `<string>` for [`Map::from_toml_str`](super::Map::from_toml_str).
    ///
    /// ```
    /// let err = msm::Map::from_toml_str("[vars]\n").unwrap_err();
    /// assert_eq!(err.file(), "<string>");
    /// assert!(err.to_string().starts_with("<string>: the map has no [memory] section"));
    /// ```
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Where in the file, when the problem is in the file.
    ///
    /// ```
    /// let bad_key = msm::Map::from_toml_str("[memory]\nholding_register = 8\n").unwrap_err();
    /// assert_eq!(bad_key.position().map(|p| (p.line, p.column)), Some((2, 1)));
    /// let no_memory = msm::Map::from_toml_str("").unwrap_err();
    /// assert_eq!(no_memory.position(), None); // about the file as a whole
    /// ```
    pub fn position(&self) -> Option<Position> {
        self.position
    }

    /// The variable concerned, if any.
    ///
    /// ```
    /// let err = msm::Map::from_toml_str(
    ///     "[memory]\nholding_registers = 4\n[vars]\nX = { area = \"holding\", address = 9, type = \"u16\" }\n",
    /// )
    /// .unwrap_err(); // address 9 is outside the 4 registers
    /// assert_eq!(err.variable(), Some("X"));
    /// assert!(err.to_string().starts_with("<string>:4:35: variable X: "));
    /// ```
    pub fn variable(&self) -> Option<&str> {
        self.variable.as_deref()
    }

    /// What is wrong.
    ///
    /// ```
    /// use msm::map::MapErrorKind;
    /// let err = msm::Map::from_toml_str("[memory]\nholding_register = 8\n").unwrap_err();
    /// match err.kind() {
    ///     MapErrorKind::UnknownKey { key, .. } => assert_eq!(key, "holding_register"),
    ///     other => panic!("unexpected {other}"),
    /// }
    /// ```
    pub fn kind(&self) -> &MapErrorKind {
        &self.kind
    }
}

/// `FILE:LINE:COLUMN: variable NAME: `, the part of the message before the problem.
struct Prefix<'a>(&'a MapError);

impl fmt::Display for Prefix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.0;
        f.write_str(&e.file)?;
        if let Some(p) = e.position {
            write!(f, ":{}:{}", p.line, p.column)?;
        }
        f.write_str(": ")?;
        if let Some(name) = &e.variable {
            write!(f, "variable {name}: ")?;
        }
        Ok(())
    }
}

/// What is wrong in a map file, or with a value for one of its variables.
///
/// ```
/// use msm::map::{MapErrorKind, VarType};
/// let mm = msm::Map::from_toml_str(r#"
///     [memory]
///     holding_registers = 1
///     [vars]
///     LEVEL = { area = "holding", address = 0, type = "u16" }
/// "#)?
/// .build()?;
/// let err = mm.find("LEVEL")?.parse_value("70000").unwrap_err();
/// assert!(matches!(err.kind(), MapErrorKind::ValueOutOfRange { ty: VarType::U16, .. }));
/// assert_eq!(err.kind().to_string(), "70000 does not fit a u16, which holds whole numbers 0..=65535");
/// # Ok::<(), msm::map::MapError>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MapErrorKind {
    /// The file could not be read.
    #[error("cannot read the map file: {0}")]
    Io(std::io::Error),

    /// The text is not valid TOML; the message is the TOML parser's.
    #[error("invalid TOML: {0}")]
    Syntax(String),

    /// Two variables with the same name.
    #[error(
        "duplicate variable name {name}: every variable needs its own name; rename or remove one of them"
    )]
    DuplicateName {
        /// The name.
        name: String,
    },

    /// A variable name that cannot be used.
    #[error("the variable name {name:?} cannot be used: {reason}")]
    BadName {
        /// The name.
        name: String,
        /// Why not.
        reason: &'static str,
    },

    /// The file has no `[memory]` section.
    #[error(
        "the map has no [memory] section: add one that sizes the areas, \
         for example `[memory]` and then `holding_registers = 8`"
    )]
    NoMemory,

    /// A key that the table does not take: usually a typo.
    #[error(
        "unknown key `{key}` in {table}{}: the valid keys are {}",
        suggest::did_you_mean(key, valid.iter().copied()),
        valid.join(", ")
    )]
    UnknownKey {
        /// Where: `the top level`, `[memory]`, `an area` or `a variable`.
        table: &'static str,
        /// The key as written.
        key: String,
        /// The keys that table takes.
        valid: &'static [&'static str],
    },

    /// A key that must be given.
    #[error("missing `{key}`: {hint}")]
    MissingKey {
        /// The key.
        key: &'static str,
        /// What to write.
        hint: &'static str,
    },

    /// A key whose TOML value has the wrong type (a string where an integer belongs, ...).
    #[error("`{key}` must be {expected}, not {}", a_an(found))]
    WrongType {
        /// The key.
        key: String,
        /// What it must be.
        expected: &'static str,
        /// The TOML type found (`string`, `integer`, `float`, `boolean`, `datetime`,
        /// `array`, `table`).
        found: &'static str,
    },

    /// An integer key (address, size, bit, len) outside what it can be.
    #[error("`{key}` = {value} is out of range: it must be in {range}")]
    NumberOutOfRange {
        /// The key.
        key: &'static str,
        /// The value as written.
        value: String,
        /// The range it must be in.
        range: &'static str,
    },

    /// A `type` that is not one of the map-file types.
    #[error(
        "unknown type {name:?}{}: the types are {}",
        suggest::type_alias(name).map_or_else(
            || suggest::did_you_mean(name, VarType::ALL.iter().map(|t| t.name())),
            |t| format!(" (did you mean {t}?)")
        ),
        VarType::ALL.map(VarType::name).join(", ")
    )]
    UnknownType {
        /// What was given.
        name: String,
    },

    /// A type that cannot live in the area it was declared on.
    #[error("{} cannot be declared on {area}: {hint}", a_type(ty.name()))]
    TypeNotInArea {
        /// The type.
        ty: VarType,
        /// The area.
        area: Area,
        /// What to declare instead.
        hint: &'static str,
    },

    /// A key given to a type it does not apply to (`len` on a `u32`, `bit` on a `u16`).
    #[error("`{key}` does not apply to {}: {hint}", a_type(ty.name()))]
    KeyNotApplicable {
        /// The key.
        key: &'static str,
        /// The variable's type.
        ty: VarType,
        /// Which types take it.
        hint: &'static str,
    },

    /// A value of the wrong kind for the variable's type (a string for a `u16`, ...).
    #[error("{} takes {}, not {}", a_type(ty.name()), ty.expects(), a_an(found))]
    ValueType {
        /// The variable's type.
        ty: VarType,
        /// What was given (`string`, `integer`, `float`, `boolean`, ...).
        found: &'static str,
    },

    /// Text that does not read as a value of the variable's type.
    #[error("{text:?} is not {}: write {}", a_type(ty.name()), ty.syntax())]
    ValueSyntax {
        /// The variable's type.
        ty: VarType,
        /// The text.
        text: String,
    },

    /// A value outside the range of the variable's type, or one it cannot hold exactly.
    #[error("{value} does not fit {}, which holds {}", a_type(ty.name()), ty.range())]
    ValueOutOfRange {
        /// The variable's type.
        ty: VarType,
        /// The value as written.
        value: String,
    },

    /// An entry of a `[roles]` list that is no variable, `"*"` or range.
    #[error(
        "role {role}: {entry:?} {reason}: write a variable name, \"*\" or a range such as \
         \"holding 100..=199\""
    )]
    BadRight {
        /// The role.
        role: String,
        /// The entry as written.
        entry: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A variable name that the map does not declare.
    #[error("unknown variable {name:?}{}", suggest::listing(suggestions))]
    UnknownVariable {
        /// The name asked for.
        name: String,
        /// The declared names closest to it.
        suggestions: Vec<String>,
    },

    /// A typed access to a variable of another type.
    #[error(
        "it is {}, not {}: ask for the Rust type of its map type",
        a_type(ty.name()),
        a_type(asked)
    )]
    NotOfType {
        /// The variable's type.
        ty: VarType,
        /// The Rust type asked for.
        asked: &'static str,
    },

    /// A value a section's key cannot take: a duplicate file number or FIFO, an empty
    /// server id, an object too long for a response.
    #[error("{section} `{key}` {problem}")]
    BadSetting {
        /// The section: `[identity]`, `[[file]]`, `[[fifo]]`.
        section: &'static str,
        /// The key.
        key: String,
        /// What is wrong and how to fix it.
        problem: String,
    },

    /// A problem the memory reports: an unknown area, order or byte, an address outside
    /// the area, a bit past 15, a bad string length or content.
    #[error("{}", in_map_words(.0))]
    Memory(Error),

    /// A `sim` whose `kind` is not one of the behaviours.
    #[error(
        "unknown sim kind {name:?}{}: the kinds are {}",
        suggest::did_you_mean(name, BEHAVIOURS.iter().copied()),
        BEHAVIOURS.join(", ")
    )]
    UnknownBehaviour {
        /// What was given.
        name: String,
    },

    /// A `sim` that cannot move its variable: a kind that does not fit the type, bounds
    /// out of order or out of the type's range, a source that is no variable.
    #[error("sim: {reason}")]
    BadBehaviour {
        /// What is wrong, and how to fix it.
        reason: String,
    },

    /// A `[[fault]]` whose `action` is not one of the actions.
    #[error(
        "unknown fault action {name:?}{}: the actions are {}",
        suggest::did_you_mean(name, ACTIONS.iter().copied()),
        ACTIONS.join(", ")
    )]
    UnknownAction {
        /// What was given.
        name: String,
    },

    /// A `[[fault]]` that cannot be made: a key its action does not take, one it needs,
    /// a value out of range.
    #[error("fault {index}: {reason}")]
    BadFault {
        /// Its place among the faults, from 1.
        index: usize,
        /// What is wrong, and how to fix it.
        reason: String,
    },

    /// A duration that does not read as one (`period`, `every`, `delay`, `tau`).
    #[error(
        "`{key}` = {text:?} is not a duration: {reason}; write a number and a unit, such as 500ms, 10s or 2m"
    )]
    BadDuration {
        /// The key.
        key: &'static str,
        /// The text as written.
        text: String,
        /// Why it does not read.
        reason: String,
    },
}

/// The behaviours' names (`msm::sim::BehaviourKind::NAMES`).
pub(crate) const BEHAVIOURS: [&str; 8] = [
    "sine",
    "counter",
    "random",
    "ramp",
    "toggle",
    "uptime",
    "timestamp",
    "follow",
];

/// The fault actions' names, for the messages.
const ACTIONS: [&str; 10] = crate::types::FaultAction::NAMES;

/// The memory's messages speak of the Rust API; in a map the same fix is made in the
/// file, so say it in the file's words.
fn in_map_words(e: &Error) -> String {
    match e {
        Error::OutOfRange {
            what,
            area,
            address,
            count,
            start,
            size,
        } => {
            let key = match area {
                Area::Coil => "coils",
                Area::Discrete => "discrete_inputs",
                Area::Input => "input_registers",
                Area::Holding => "holding_registers",
            };
            // 40001-style numbers are 1-based register numbers with the area in front.
            let offset = match area {
                Area::Coil => 1,
                Area::Discrete => 10_001,
                Area::Input => 30_001,
                Area::Holding => 40_001,
            };
            let numbered = if *address >= offset && *area != Area::Coil {
                format!(
                    "; Modbus addresses here are 0-based: register {address} is {area} address {}",
                    address - offset
                )
            } else {
                String::new()
            };
            format!(
                "{what} at {area} address {address} needs {count} item(s), but the {area} area {}: \
                 make it larger in [memory] ({key} = ...) or use an address inside it{numbered}",
                crate::types::area_range(*start, *size)
            )
        }
        other => other.to_string(),
    }
}

/// `a string`, `an integer`.
pub(crate) fn a_an(noun: &str) -> String {
    let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {noun}")
}

/// `a u16`, `an i16`, `an f32`: type names are read letter by letter.
pub(crate) fn a_type(name: &str) -> String {
    let article = if name.starts_with(['i', 'f']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name}")
}
