//! CoT type <-> APP-6 / MIL-STD-2525 symbol code, in one place.
//!
//! **Edition: MIL-STD-2525C**, 15-character letter symbol identification code (SIDC) of the
//! warfighting scheme, e.g. `SFGPUCI--------`. It is what the CoT atom type tree was built from
//! and what milsymbol draws from a letter SIDC; APP-6(B) uses the same letter codes.
//!
//! | SIDC position | meaning | CoT |
//! |---|---|---|
//! | 1 | coding scheme, always `S` (warfighting) | an atom: `a-` |
//! | 2 | standard identity (affiliation) | 2nd atom, lower case (`f`, `h`, ...) |
//! | 3 | battle dimension (`P` space, `A` air, `G` ground, `S` sea surface, `U` subsurface, `F` SOF, `X` other, `Z` unknown) | 3rd atom |
//! | 4 | status, `P` present | (none) |
//! | 5-10 | function id, `-` padded | 4th and later atoms, one letter each |
//! | 11-15 | modifier, country, order of battle | (none), written `-` |
//!
//! So `a-f-G-U-C-I` (friendly ground infantry unit) <-> `SFGPUCI--------`.
//!
//! Exercise identities: CoT has no exercise affiliation (exercise traffic is marked with
//! `opex`), so [`sidc_from_cot_type`] takes an `exercise` flag and gives the 2525C exercise
//! identity (friend `F` -> `D`, ...; suspect and hostile become joker `J` and faker `K`), and
//! [`cot_type_from_sidc`] maps an exercise identity back to its real-world letter and
//! reports it through [`Sidc::is_exercise`]. CoT's `x` (other) has no 2525C identity and maps
//! to unknown `U`.

/// A MIL-STD-2525C 15-character letter SIDC of the warfighting scheme (upper case ASCII).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sidc([u8; 15]);

/// Length of a 2525C letter SIDC.
pub const SIDC_LEN: usize = 15;

/// (CoT affiliation, 2525C identity, 2525C exercise identity).
const AFFILIATIONS: [(u8, u8, u8); 10] = [
    (b'p', b'P', b'G'),
    (b'u', b'U', b'W'),
    (b'a', b'A', b'M'),
    (b'f', b'F', b'D'),
    (b'n', b'N', b'L'),
    (b's', b'S', b'J'),
    (b'h', b'H', b'K'),
    (b'j', b'J', b'J'),
    (b'k', b'K', b'K'),
    (b'o', b'O', b'O'),
];

const DIMENSIONS: &[u8] = b"PAGSUFXZ";

/// The 2525C exercise identities: exercise pending, unknown, assumed friend, friend, neutral,
/// joker, faker.
const EXERCISE_IDENTITIES: &[u8] = b"GWMDLJK";

fn is_function_char(byte: u8) -> bool {
    byte.is_ascii_uppercase() || byte.is_ascii_digit()
}

impl Sidc {
    /// Parses a 15-character letter SIDC (either case) of the warfighting scheme `S`.
    pub fn parse(text: &str) -> Option<Sidc> {
        let bytes: [u8; SIDC_LEN] = text.as_bytes().try_into().ok()?;
        let bytes = bytes.map(|byte| byte.to_ascii_uppercase());
        let [
            scheme,
            identity,
            dimension,
            status,
            function @ ..,
            _,
            _,
            _,
            _,
            _,
        ] = bytes;
        let identity_known = AFFILIATIONS
            .iter()
            .any(|&(_, real, exercise)| identity == real || identity == exercise)
            || EXERCISE_IDENTITIES.contains(&identity);
        // The function id is letters and digits, then only padding.
        let n_function = function
            .iter()
            .take_while(|&&byte| is_function_char(byte))
            .count();
        let function_ok = function
            .iter()
            .skip(n_function)
            .all(|&byte| byte == b'-' || byte == b'*');
        let tail_ok = bytes
            .iter()
            .skip(10)
            .all(|&byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'*');
        let valid = scheme == b'S'
            && identity_known
            && DIMENSIONS.contains(&dimension)
            && b"APCDXF".contains(&status)
            && function_ok
            && tail_ok;
        valid.then_some(Sidc(bytes))
    }

    /// The SIDC text, e.g. `SFGPUCI--------`.
    pub fn as_str(&self) -> &str {
        // Only ASCII bytes are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// True for a 2525C exercise identity (`G W M D L J K`).
    pub fn is_exercise(&self) -> bool {
        EXERCISE_IDENTITIES.contains(&self.0[1])
    }

    /// The function id without padding (`UCI` for `SFGPUCI--------`).
    pub fn function_id(&self) -> &str {
        let function = &self.as_str()[4..10];
        function.trim_end_matches(['-', '*'])
    }
}

impl std::fmt::Display for Sidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The SIDC for an atom CoT type (`a-f-G-U-C-I` -> `SFGPUCI--------`), with the exercise
/// identity when `exercise` is set. `None` for types that are not atoms (`b-t-f`, `u-d-f`,
/// `t-x-c-t`) or whose atoms past the affiliation are not single upper-case letters or digits.
pub fn sidc_from_cot_type(cot_type: &str, exercise: bool) -> Option<Sidc> {
    let mut atoms = cot_type.split('-');
    if atoms.next()? != "a" {
        return None;
    }
    let affiliation = single_byte(atoms.next()?)?;
    let identity = if affiliation == b'x' {
        if exercise { b'W' } else { b'U' }
    } else {
        let &(_, real, exercise_identity) = AFFILIATIONS
            .iter()
            .find(|&&(cot, _, _)| cot == affiliation)?;
        if exercise { exercise_identity } else { real }
    };
    let mut sidc = *b"S-ZP-----------";
    sidc[1] = identity;
    if let Some(dimension) = atoms.next() {
        let dimension = single_byte(dimension)?;
        if !DIMENSIONS.contains(&dimension) {
            return None;
        }
        sidc[2] = dimension;
    }
    for slot in sidc.iter_mut().skip(4).take(6) {
        let Some(atom) = atoms.next() else { break };
        let byte = single_byte(atom)?;
        if !is_function_char(byte) {
            return None;
        }
        *slot = byte;
    }
    // More than six function atoms cannot be written in a 2525C SIDC.
    if atoms.next().is_some() {
        return None;
    }
    Some(Sidc(sidc))
}

/// The CoT type for a SIDC (`SFGPUCI--------` -> `a-f-G-U-C-I`): exercise identities map to
/// their real-world affiliation; status, modifiers and country are not part of a CoT type.
pub fn cot_type_from_sidc(sidc: &Sidc) -> String {
    let identity = sidc.0[1];
    let affiliation = AFFILIATIONS
        .iter()
        .find(|&&(_, real, exercise)| {
            identity == real || (identity == exercise && real != b'S' && real != b'H')
        })
        .map_or(b'u', |&(cot, _, _)| cot);
    let mut cot_type = String::with_capacity(20);
    cot_type.push_str("a-");
    cot_type.push(char::from(affiliation));
    cot_type.push('-');
    cot_type.push(char::from(sidc.0[2]));
    for ch in sidc.function_id().chars() {
        cot_type.push('-');
        cot_type.push(ch);
    }
    cot_type
}

fn single_byte(atom: &str) -> Option<u8> {
    match atom.as_bytes() {
        [byte] => Some(*byte),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sidc(cot_type: &str) -> String {
        sidc_from_cot_type(cot_type, false)
            .map(|sidc| sidc.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn common_types() {
        assert_eq!(sidc("a-f-G-U-C-I"), "SFGPUCI--------");
        assert_eq!(sidc("a-h-A-M-F-Q"), "SHAPMFQ--------");
        assert_eq!(sidc("a-n-S"), "SNSP-----------");
        assert_eq!(sidc("a-u-G"), "SUGP-----------");
        assert_eq!(sidc("a-f"), "SFZP-----------");
        assert_eq!(sidc("a-x-G-E-V"), "SUGPEV---------");
        assert_eq!(sidc("a-f-G-E-V-A-T-H"), "SFGPEVATH------");
        assert_eq!(sidc("a-f-G-U-C-I-Z-Z-Z"), "SFGPUCIZZZ-----");
        assert_eq!(sidc("a-f-G-U-C-I-Z-Z-Z-Z"), "");
        assert_eq!(sidc("b-t-f"), "");
        assert_eq!(sidc("a-f-G-U-c"), "");
        assert_eq!(sidc("a-f-Q"), "");
        assert_eq!(sidc("a-q-G"), "");
        assert_eq!(sidc("a-f-G-UC"), "");
    }

    #[test]
    fn exercise_identities_and_back() {
        let exercise = |cot: &str| sidc_from_cot_type(cot, true).unwrap();
        assert_eq!(exercise("a-f-G-U-C").as_str(), "SDGPUC---------");
        assert_eq!(exercise("a-h-A").as_str(), "SKAP-----------");
        assert_eq!(exercise("a-s-A").as_str(), "SJAP-----------");
        assert!(exercise("a-n-G").is_exercise());
        assert_eq!(cot_type_from_sidc(&exercise("a-f-G-U-C")), "a-f-G-U-C");
        assert_eq!(cot_type_from_sidc(&exercise("a-u-S")), "a-u-S");
        assert_eq!(cot_type_from_sidc(&exercise("a-h-A")), "a-k-A");
        assert!(!sidc_from_cot_type("a-f-G", false).unwrap().is_exercise());
    }

    #[test]
    fn every_real_world_atom_round_trips() {
        for &(cot, _, _) in &AFFILIATIONS {
            for &dimension in DIMENSIONS {
                let cot_type = format!("a-{}-{}-U-C-I", char::from(cot), char::from(dimension));
                let sidc = sidc_from_cot_type(&cot_type, false).unwrap();
                assert_eq!(Sidc::parse(sidc.as_str()), Some(sidc));
                assert_eq!(cot_type_from_sidc(&sidc), cot_type);
            }
        }
    }

    #[test]
    fn parse_checks_each_position() {
        assert_eq!(Sidc::parse("sfgpuci--------").unwrap().function_id(), "UCI");
        assert!(Sidc::parse("SFGPUCI-----").is_none());
        assert!(Sidc::parse("GFGPUCI--------").is_none());
        assert!(Sidc::parse("SQGPUCI--------").is_none());
        assert!(Sidc::parse("SFQPUCI--------").is_none());
        assert!(Sidc::parse("SFGQUCI--------").is_none());
        assert!(Sidc::parse("SFGPU-I--------").is_none());
        assert!(Sidc::parse("SFGPUCI---é----").is_none());
        assert_eq!(
            Sidc::parse("SFGPUCI---AAUS*").unwrap().as_str(),
            "SFGPUCI---AAUS*"
        );
    }
}
