//! The report's words in French and English: one catalogue per language, no label in the
//! renderers. What users wrote (titles, callsigns, remarks) is shown as written.

use serde::Deserialize;

use super::EventKind;

/// The language of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Français (the default: the confederation's working language).
    #[default]
    Fr,
    /// English.
    En,
}

impl Lang {
    /// `fr` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// Parses `fr` or `en`.
    pub fn parse(text: &str) -> Option<Lang> {
        match text {
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// Every label the renderers use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    Title,
    Operation,
    Exercise,
    Window,
    From,
    To,
    Area,
    GeneratedAt,
    GeneratedFor,
    Node,
    Figures,
    Maps,
    Timeline,
    Time,
    What,
    Nation,
    Details,
    Page,
    RealWorld,
    ExerciseBanner,
    MomentFirst,
    MomentCrossing,
    MomentLast,
    PursuitNotices,
    Acknowledged,
    AckDelayMedian,
    AckDelays,
    SupportRequests,
    Decided,
    DecisionDelayMedian,
    AlertsRaised,
    AlertsAcknowledged,
    AlertAckMedian,
    CivilianHarm,
    ProtectionWarnings,
    BorderCrossings,
    AirTracks,
    AirIdentified,
    Reports,
    Nothing,
    Legend,
    Units,
    Tracks,
    Zones,
    ProtectedSites,
    AirPicture,
    Crossing,
    After,
    None,
    Truncated,
}

/// The label in `lang`.
pub fn label(lang: Lang, label: Label) -> &'static str {
    use Label as L;
    match (lang, label) {
        (Lang::Fr, L::Title) => "Compte rendu après action",
        (Lang::En, L::Title) => "After-action report",
        (Lang::Fr, L::Operation) => "Opération",
        (Lang::En, L::Operation) => "Operation",
        (Lang::Fr, L::Exercise) => "Exercice",
        (Lang::En, L::Exercise) => "Exercise",
        (Lang::Fr, L::Window) => "Période et zone",
        (Lang::En, L::Window) => "Time window and area",
        (Lang::Fr, L::From) => "Du",
        (Lang::En, L::From) => "From",
        (Lang::Fr, L::To) => "Au",
        (Lang::En, L::To) => "To",
        (Lang::Fr, L::Area) => "Zone (O, S, E, N)",
        (Lang::En, L::Area) => "Area (W, S, E, N)",
        (Lang::Fr, L::GeneratedAt) => "Établi le",
        (Lang::En, L::GeneratedAt) => "Generated",
        (Lang::Fr, L::GeneratedFor) => "Pour",
        (Lang::En, L::GeneratedFor) => "For",
        (Lang::Fr, L::Node) => "Nœud",
        (Lang::En, L::Node) => "Node",
        (Lang::Fr, L::Figures) => "Chiffres",
        (Lang::En, L::Figures) => "Figures",
        (Lang::Fr, L::Maps) => "Cartes aux moments clés",
        (Lang::En, L::Maps) => "Maps at key moments",
        (Lang::Fr, L::Timeline) => "Chronologie",
        (Lang::En, L::Timeline) => "Timeline",
        (Lang::Fr, L::Time) => "Heure (UTC)",
        (Lang::En, L::Time) => "Time (UTC)",
        (Lang::Fr, L::What) => "Événement",
        (Lang::En, L::What) => "Event",
        (Lang::Fr, L::Nation) => "Nation",
        (Lang::En, L::Nation) => "Nation",
        (Lang::Fr, L::Details) => "Détails",
        (Lang::En, L::Details) => "Details",
        (Lang::Fr, L::Page) => "Page",
        (Lang::En, L::Page) => "Page",
        (Lang::Fr, L::RealWorld) => "Monde réel",
        (Lang::En, L::RealWorld) => "Real world",
        (Lang::Fr, L::ExerciseBanner) => "EXERCICE",
        (Lang::En, L::ExerciseBanner) => "EXERCISE",
        (Lang::Fr, L::MomentFirst) => "Début",
        (Lang::En, L::MomentFirst) => "Start",
        (Lang::Fr, L::MomentCrossing) => "Franchissement de frontière",
        (Lang::En, L::MomentCrossing) => "Border crossing",
        (Lang::Fr, L::MomentLast) => "Fin",
        (Lang::En, L::MomentLast) => "End",
        (Lang::Fr, L::PursuitNotices) => "Avis de poursuite",
        (Lang::En, L::PursuitNotices) => "Pursuit notices",
        (Lang::Fr, L::Acknowledged) => "accusés",
        (Lang::En, L::Acknowledged) => "acknowledged",
        (Lang::Fr, L::AckDelayMedian) => "Délai d'accusé de réception (médiane)",
        (Lang::En, L::AckDelayMedian) => "Time to acknowledge (median)",
        (Lang::Fr, L::AckDelays) => "Délais d'accusé de réception",
        (Lang::En, L::AckDelays) => "Times to acknowledge",
        (Lang::Fr, L::SupportRequests) => "Demandes d'appui",
        (Lang::En, L::SupportRequests) => "Support requests",
        (Lang::Fr, L::Decided) => "décidées",
        (Lang::En, L::Decided) => "decided",
        (Lang::Fr, L::DecisionDelayMedian) => "Délai de décision (médiane)",
        (Lang::En, L::DecisionDelayMedian) => "Time to decide (median)",
        (Lang::Fr, L::AlertsRaised) => "Alertes levées",
        (Lang::En, L::AlertsRaised) => "Alerts raised",
        (Lang::Fr, L::AlertsAcknowledged) => "acquittées",
        (Lang::En, L::AlertsAcknowledged) => "acknowledged",
        (Lang::Fr, L::AlertAckMedian) => "Délai d'acquittement des alertes (médiane)",
        (Lang::En, L::AlertAckMedian) => "Time to acknowledge alerts (median)",
        (Lang::Fr, L::CivilianHarm) => "Rapports de dommages aux civils",
        (Lang::En, L::CivilianHarm) => "Civilian-harm reports",
        (Lang::Fr, L::ProtectionWarnings) => "Avertissements sites protégés",
        (Lang::En, L::ProtectionWarnings) => "Protected-site warnings",
        (Lang::Fr, L::BorderCrossings) => "Franchissements de frontière",
        (Lang::En, L::BorderCrossings) => "Border crossings",
        (Lang::Fr, L::AirTracks) => "Pistes aériennes vues",
        (Lang::En, L::AirTracks) => "Air tracks seen",
        (Lang::Fr, L::AirIdentified) => "identifiées",
        (Lang::En, L::AirIdentified) => "identified",
        (Lang::Fr, L::Reports) => "Rapports",
        (Lang::En, L::Reports) => "Reports",
        (Lang::Fr, L::Nothing) => "Rien à signaler dans cette période.",
        (Lang::En, L::Nothing) => "Nothing to report in this window.",
        (Lang::Fr, L::Legend) => "Légende",
        (Lang::En, L::Legend) => "Legend",
        (Lang::Fr, L::Units) => "unités",
        (Lang::En, L::Units) => "units",
        (Lang::Fr, L::Tracks) => "traces",
        (Lang::En, L::Tracks) => "tracks",
        (Lang::Fr, L::Zones) => "zones",
        (Lang::En, L::Zones) => "zones",
        (Lang::Fr, L::ProtectedSites) => "sites protégés",
        (Lang::En, L::ProtectedSites) => "protected sites",
        (Lang::Fr, L::AirPicture) => "pistes aériennes",
        (Lang::En, L::AirPicture) => "air tracks",
        (Lang::Fr, L::Crossing) => "franchissement",
        (Lang::En, L::Crossing) => "crossing",
        (Lang::Fr, L::After) => "après",
        (Lang::En, L::After) => "after",
        (Lang::Fr, L::None) => "aucun",
        (Lang::En, L::None) => "none",
        (Lang::Fr, L::Truncated) => {
            "Contenu tronqué : la période contient plus que ce rapport ne montre."
        }
        (Lang::En, L::Truncated) => "Truncated: the window holds more than this report shows.",
    }
}

/// The name of an event kind in `lang`.
pub fn event(lang: Lang, kind: EventKind) -> &'static str {
    use EventKind as K;
    match (lang, kind) {
        (Lang::Fr, K::Report) => "Rapport",
        (Lang::En, K::Report) => "Report",
        (Lang::Fr, K::CivilianHarm) => "Dommages aux civils",
        (Lang::En, K::CivilianHarm) => "Civilian harm",
        (Lang::Fr, K::Alert) => "Alerte",
        (Lang::En, K::Alert) => "Alert",
        (Lang::Fr, K::ProtectionWarning) => "Avertissement site protégé",
        (Lang::En, K::ProtectionWarning) => "Protected-site warning",
        (Lang::Fr, K::AlertAcknowledged) => "Alerte acquittée",
        (Lang::En, K::AlertAcknowledged) => "Alert acknowledged",
        (Lang::Fr, K::OperationCreated) => "Opération créée",
        (Lang::En, K::OperationCreated) => "Operation created",
        (Lang::Fr, K::OperationActive) => "Opération active",
        (Lang::En, K::OperationActive) => "Operation active",
        (Lang::Fr, K::OperationEnded) => "Opération terminée",
        (Lang::En, K::OperationEnded) => "Operation ended",
        (Lang::Fr, K::BorderCrossing) => "Franchissement de frontière",
        (Lang::En, K::BorderCrossing) => "Border crossing",
        (Lang::Fr, K::PursuitNotice) => "Avis de poursuite",
        (Lang::En, K::PursuitNotice) => "Pursuit notice",
        (Lang::Fr, K::PursuitAcknowledged) => "Avis de poursuite accusé",
        (Lang::En, K::PursuitAcknowledged) => "Pursuit notice acknowledged",
        (Lang::Fr, K::PursuitEnded) => "Poursuite terminée",
        (Lang::En, K::PursuitEnded) => "Pursuit ended",
        (Lang::Fr, K::SupportRequest) => "Demande d'appui",
        (Lang::En, K::SupportRequest) => "Support request",
        (Lang::Fr, K::SupportAnswer) => "Réponse à une demande d'appui",
        (Lang::En, K::SupportAnswer) => "Support request answered",
        (Lang::Fr, K::SupportCancelled) => "Demande d'appui annulée",
        (Lang::En, K::SupportCancelled) => "Support request cancelled",
    }
}

/// A duration as people read it: `45 s`, `3 min 12 s`, `2 h 05 min`.
pub fn duration(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "-".to_owned();
    }
    let negative = seconds < 0.0;
    let total = seconds.abs().round() as u64;
    let text = if total < 60 {
        format!("{total} s")
    } else if total < 3600 {
        format!("{} min {:02} s", total / 60, total % 60)
    } else {
        format!("{} h {:02} min", total / 3600, (total % 3600) / 60)
    };
    if negative { format!("-{text}") } else { text }
}

/// A time as the report shows it: `2026-12-07 14:05:09Z`.
pub fn time(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration(45.2), "45 s");
        assert_eq!(duration(192.0), "3 min 12 s");
        assert_eq!(duration(7500.0), "2 h 05 min");
        assert_eq!(duration(-30.0), "-30 s");
        assert_eq!(duration(f64::NAN), "-");
    }
}
