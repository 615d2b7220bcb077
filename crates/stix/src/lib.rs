//! STIX 2.1 and TAXII 2.1 for Liptako, pure (no I/O, no clock: times are arguments).
//!
//! The mapping between Liptako objects and STIX lives here and nowhere else:
//!
//! - [`Exporter`] ([`export`]): a report version to STIX objects (`report`, `location`,
//!   `note`, `sighting`), each made by its nation's `identity` and marked with the
//!   `marking-definition` that states its marking exactly plus the TLP 2.0 marking a
//!   [`TlpTable`] derives; [`Exporter::meta_objects`] gives the identities, extension
//!   definitions and marking definitions a collection starts with. Units, zones and air tracks
//!   are not exported.
//! - [`import`]: a STIX bundle or TAXII envelope to reports, with one outcome per object
//!   (stored, part of another, context, or refused with a clear reason); nothing about an
//!   individual person is taken, and nothing is stored unmarked.
//! - [`ids`]: deterministic identifiers, so exporting again gives the same ids.
//! - [`taxii`]: the TAXII 2.1 resources (discovery, API root, collections, envelope, manifest,
//!   versions, status, error) and media types.
//! - [`check`]: the invariants the fuzz target and property tests assert.
//!
//! ```
//! use liptako_model::*;
//! use liptako_stix::{Exporter, ImportContext, Limits, Outcome, TlpTable, import};
//! let nation = |code| Nation::parse(code).unwrap();
//! let policy = Policy::new(
//!     Confederation::new("AES", vec![nation("MLI"), nation("BFA"), nation("NER")]).unwrap(),
//!     Levels::default(),
//! );
//! let exporter = Exporter::new(&policy, TlpTable::default());
//! let draft = Draft {
//!     id: uuid::Uuid::now_v7(),
//!     origin: nation("MLI"),
//!     expect: Expect::New,
//!     at: time::macros::datetime!(2026-11-24 10:00 UTC),
//!     marking: Marking::new("DR", ["AES"]),
//!     valid_until: None,
//!     exercise: None,
//!     body: Some(Body::Report(Report { kind: ReportKind::Incident, title: "Convoy ambushed".into(),
//!         body: String::new(), location: Some(Point::new(15.9, 2.4)) })),
//! };
//! let object = next_version(None, draft).unwrap();
//! let stix = exporter.export(&object).unwrap();
//! assert_eq!(stix[0]["type"], "report");
//! let bundle = serde_json::json!({ "objects": stix }).to_string();
//! let ctx = ImportContext { exporter: &exporter, nation: nation("MLI"), default_marking: None,
//!     tlp_markings: &[], limits: Limits::default() };
//! let objects = import::split_objects(&bundle, &ctx.limits).unwrap();
//! let outcomes = import::import(&objects, &ctx);
//! let Outcome::Stored(imported) = &outcomes[0].outcome else { panic!() };
//! assert_eq!(imported.id, object.meta.id);
//! assert_eq!(imported.marking, object.meta.marking);
//! ```

#![deny(clippy::indexing_slicing)]

pub mod check;
pub mod export;
pub mod ids;
pub mod import;
pub mod marking;
pub mod taxii;
pub mod timestamp;

pub use export::{ExportError, Exporter, nation_identity_id};
pub use import::{
    EnvelopeError, ImportContext, ImportError, Imported, Limits, MarkingSource, ObjectOutcome,
    Outcome,
};
pub use marking::{Markings, Tlp, TlpTable};
