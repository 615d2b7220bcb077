//! Setting up a data directory (`liptako init`) and managing users from the command line
//! (`liptako user add`). Both work on the files directly, so they also work while a server runs
//! on the same directory (SQLite in WAL mode takes a second writer; it waits for the lock).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use liptako_model::{Nation, Role};
use liptako_store::{SqliteStore, Store, UserRecord, WriteOp};
use time::OffsetDateTime;

use crate::auth::{generate_password, hash_password, load_or_create_key};
use crate::config::{CONFIG_FILE, Config};

/// What `init` needs.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The node's nation.
    pub nation: Nation,
    /// The confederation's name.
    pub confederation: String,
    /// Its members (the node's nation is added if missing).
    pub members: Vec<Nation>,
    /// The admin user's password; generated when absent.
    pub admin_password: Option<String>,
    /// The HTTP listen address to write in the config.
    pub http: Option<SocketAddr>,
    /// The federation listen address to write in the config.
    pub federation: Option<SocketAddr>,
}

/// What `init` did.
#[derive(Debug, Clone)]
pub struct InitReport {
    /// The configuration file written.
    pub config_path: PathBuf,
    /// The admin password, when it was generated (shown once, stored only hashed).
    pub generated_password: Option<String>,
}

/// The admin user's name.
pub const ADMIN_USER: &str = "admin";

/// Creates a data directory: configuration, node key, database and an `admin` user cleared
/// to the highest level. Refuses a directory that already has a configuration.
pub fn init_data_dir(data_dir: &Path, options: InitOptions) -> anyhow::Result<InitReport> {
    let config_path = data_dir.join(CONFIG_FILE);
    if config_path.exists() {
        anyhow::bail!(
            "{} already exists: this directory is already a node's; use another --data",
            config_path.display()
        );
    }
    if let Some(password) = &options.admin_password {
        check_password(password).map_err(|err| anyhow::anyhow!("--admin-password: {err}"))?;
    }
    crate::config::create_dir_durably(data_dir)
        .map_err(|err| anyhow::anyhow!("cannot create {}: {err}", data_dir.display()))?;
    let mut members = options.members;
    if !members.contains(&options.nation) {
        members.insert(0, options.nation);
    }
    let mut config = Config::new(options.nation, &options.confederation, members);
    if let Some(http) = options.http {
        config.http.listen = http;
    }
    if let Some(federation) = options.federation {
        config.federation.listen = federation;
    }
    // Check before writing anything.
    let text = config.to_toml();
    Config::parse(&text, &config_path)?;
    load_or_create_key(data_dir)?;
    let highest = config.confederation.levels.highest().to_owned();
    let (password, generated_password) = match options.admin_password {
        Some(password) => (password, None),
        None => {
            let password = generate_password()?;
            (password.clone(), Some(password))
        }
    };
    put_user(
        &config,
        data_dir,
        UserRecord {
            name: ADMIN_USER.into(),
            nation: options.nation,
            clearance: highest,
            role: Role::Admin,
            password_hash: hash_password(&password)?,
            created: OffsetDateTime::now_utc(),
            disabled: false,
            session_gen: 0,
        },
    )?;
    // The configuration goes last, durably: its presence means the directory is complete.
    crate::config::write_durably(&config_path, text.as_bytes())
        .map_err(|err| anyhow::anyhow!("cannot write {}: {err}", config_path.display()))?;
    Ok(InitReport {
        config_path,
        generated_password,
    })
}

/// What `user add` needs.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login name.
    pub name: String,
    /// The user's nation (default: the node's).
    pub nation: Option<Nation>,
    /// Clearance level.
    pub clearance: String,
    /// Role.
    pub role: Role,
    /// Password; generated when absent.
    pub password: Option<String>,
}

/// Adds a user to the node in `data_dir`; returns the password when it was generated.
pub fn add_user(data_dir: &Path, mut user: NewUser) -> anyhow::Result<Option<String>> {
    let config = Config::load(data_dir)?;
    let policy = config.policy().map_err(anyhow::Error::msg)?;
    let generated = match user.password {
        Some(_) => None,
        None => {
            let password = generate_password()?;
            user.password = Some(password.clone());
            Some(password)
        }
    };
    let record = new_user_record(&config, &policy, user)?;
    let store = SqliteStore::open(&config.store_path(data_dir), None)?;
    if store.user(&record.name)?.is_some() {
        anyhow::bail!("user {:?} already exists", record.name);
    }
    store.write(vec![WriteOp::PutUser(record)])?;
    Ok(generated)
}

/// Checks a new user against the policy and hashes its password (slow: blocking).
pub fn new_user_record(
    config: &Config,
    policy: &liptako_model::Policy,
    user: NewUser,
) -> anyhow::Result<UserRecord> {
    check_user_name(&user.name)?;
    policy.check_level(&user.clearance)?;
    let nation = user.nation.unwrap_or(config.node.nation);
    if !policy.confederation().is_member(nation) {
        anyhow::bail!(
            "nation {nation} is not a member of {}",
            policy.confederation().name()
        );
    }
    let password = user
        .password
        .ok_or_else(|| anyhow::anyhow!("a password is needed"))?;
    check_password(&password)?;
    Ok(UserRecord {
        name: user.name,
        nation,
        clearance: user.clearance,
        role: user.role,
        password_hash: hash_password(&password)?,
        created: OffsetDateTime::now_utc(),
        disabled: false,
        session_gen: 0,
    })
}

/// A change to an account (`liptako user set`, `PUT /api/v1/users/{name}`); absent fields stay.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    /// New clearance level.
    #[serde(default)]
    pub clearance: Option<String>,
    /// New role.
    #[serde(default)]
    pub role: Option<Role>,
    /// New nation (a member of the confederation).
    #[serde(default)]
    pub nation: Option<Nation>,
    /// Disable (true) or enable (false) the account. Disabling ends every session at once.
    #[serde(default)]
    pub disabled: Option<bool>,
    /// New password (8 to 256 characters). Setting it ends every session at once.
    #[serde(default)]
    pub password: Option<String>,
}

/// Applies `change` to `user`, checked against the policy (hashes a new password: blocking).
/// Resetting the password or disabling bumps the session generation, so every token issued
/// before stops working; other changes apply to open sessions at their next decision.
pub fn changed_user(
    policy: &liptako_model::Policy,
    mut user: UserRecord,
    change: UserChange,
) -> anyhow::Result<UserRecord> {
    let mut revoke = false;
    if let Some(clearance) = change.clearance {
        policy.check_level(&clearance)?;
        user.clearance = clearance;
    }
    if let Some(role) = change.role {
        user.role = role;
    }
    if let Some(nation) = change.nation {
        if !policy.confederation().is_member(nation) {
            anyhow::bail!(
                "nation {nation} is not a member of {}",
                policy.confederation().name()
            );
        }
        user.nation = nation;
    }
    if let Some(disabled) = change.disabled {
        revoke |= disabled && !user.disabled;
        user.disabled = disabled;
    }
    if let Some(password) = change.password {
        check_password(&password)?;
        user.password_hash = hash_password(&password)?;
        revoke = true;
    }
    if revoke {
        user.session_gen = user.session_gen.wrapping_add(1);
    }
    Ok(user)
}

/// Whether `users`, with `changed` in place of its old self, still has an enabled admin.
pub fn keeps_an_admin(users: &[UserRecord], changed: &UserRecord) -> bool {
    users
        .iter()
        .map(|user| {
            if user.name == changed.name {
                changed
            } else {
                user
            }
        })
        .any(|user| user.role == Role::Admin && !user.disabled)
}

/// Changes a user of the node in `data_dir` (the CLI's `user set`): the running node sees it
/// within a second.
pub fn set_user(data_dir: &Path, name: &str, change: UserChange) -> anyhow::Result<UserRecord> {
    let config = Config::load(data_dir)?;
    let policy = config.policy().map_err(anyhow::Error::msg)?;
    let store = SqliteStore::open(&config.store_path(data_dir), None)?;
    let user = store
        .user(name)?
        .ok_or_else(|| anyhow::anyhow!("no user {name:?}"))?;
    let changed = changed_user(&policy, user, change)?;
    if !keeps_an_admin(&store.users()?, &changed) {
        anyhow::bail!("this would leave the node without an enabled admin");
    }
    store.write(vec![WriteOp::PutUser(changed.clone())])?;
    Ok(changed)
}

/// User names: 1 to 64 letters, digits, `.`, `-`, `_`.
pub fn check_user_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(())
    } else {
        anyhow::bail!("user name {name:?}: use 1 to 64 letters, digits, '.', '-' or '_'")
    }
}

/// The one password policy ([`crate::auth::check_password`]), as an `anyhow` error.
pub fn check_password(password: &str) -> anyhow::Result<()> {
    crate::auth::check_password(password).map_err(anyhow::Error::msg)
}

/// Adds a link to a partner node: copies the partner's CA certificate into
/// `DATA/partners/<NATION>-ca.pem`, accredits the partner's origin key (`origin_key`, by
/// default the `origin.pub` beside the CA certificate) and appends a `[[link]]` to the
/// configuration.
pub fn add_link(
    data_dir: &Path,
    nation: Nation,
    url: &str,
    partner_ca: &Path,
    origin_key: Option<&Path>,
    ceiling: &str,
) -> anyhow::Result<PathBuf> {
    let mut config = Config::load(data_dir)?;
    crate::pki::load_certs(partner_ca)?;
    let key_path = match origin_key {
        Some(path) => path.to_owned(),
        None => partner_ca.with_file_name(crate::pki::ORIGIN_PUB_FILE),
    };
    let key = crate::pki::read_origin_public_key(&key_path).map_err(|err| {
        anyhow::anyhow!("the partner's origin key (its certs/origin.pub, --origin-key): {err}")
    })?;
    config
        .federation
        .origin_keys
        .insert(nation, key.to_string());
    if config.links.iter().any(|link| link.nation == nation) {
        anyhow::bail!("a link to {nation} exists already");
    }
    let relative = PathBuf::from(crate::pki::PARTNER_DIR).join(format!("{nation}-ca.pem"));
    config.links.push(crate::config::LinkSection {
        nation,
        url: url.to_owned(),
        ca: relative.clone(),
        ceiling: ceiling.to_owned(),
        air_kbit_s: None,
    });
    crate::config::create_dir_durably(&data_dir.join(crate::pki::PARTNER_DIR))?;
    std::fs::copy(partner_ca, data_dir.join(&relative))
        .map_err(|err| anyhow::anyhow!("cannot copy {}: {err}", partner_ca.display()))?;
    Ok(config.save(data_dir)?)
}

/// Accredits `nation`'s origin key (a nation this node hears from only through a relay, or a
/// new key of a linked partner).
pub fn accredit_origin(
    data_dir: &Path,
    nation: Nation,
    key_file: &Path,
) -> anyhow::Result<PathBuf> {
    let mut config = Config::load(data_dir)?;
    if nation == config.node.nation {
        anyhow::bail!("{nation} is this node's own nation");
    }
    let key = crate::pki::read_origin_public_key(key_file)?;
    config
        .federation
        .origin_keys
        .insert(nation, key.to_string());
    Ok(config.save(data_dir)?)
}

fn put_user(config: &Config, data_dir: &Path, record: UserRecord) -> anyhow::Result<()> {
    let store = SqliteStore::open(&config.store_path(data_dir), None)?;
    store.write(vec![WriteOp::PutUser(record)])?;
    Ok(())
}
