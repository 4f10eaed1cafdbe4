//! Tags: names for stored runs (`nightly`, `v0.3-baseline`) in the `tags`
//! table. A name points to one run; tagging a name again moves it, as
//! `git tag -f` does. Removing a run removes its tags.

use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::clock::UtcTime;
use super::db::Store;
use super::resolve::{LATEST, MIN_PREFIX_LEN};
use super::run_id::RunId;
use super::{StoreError, sql_err};

/// Longest tag name, in characters.
pub const MAX_TAG_LEN: usize = 64;

/// A name for a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tag {
    /// The name.
    pub name: String,
    /// The run it names.
    pub run_id: String,
    /// When it was set to this run, RFC 3339 UTC.
    pub created: String,
}

/// What [`Store::tag_run`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagOutcome {
    /// The name is new.
    Created,
    /// The name already named this run; nothing changed.
    Unchanged,
    /// The name named another run and now names this one.
    Moved {
        /// The run it named before.
        from: String,
    },
}

/// Checks that `name` can be a tag: 1 to [`MAX_TAG_LEN`] ASCII letters,
/// digits, `.`, `_` or `-`, not starting with `-`, not `latest`, and not
/// of the form of a run id or of its first [`MIN_PREFIX_LEN`] or more
/// characters (so that a tag never hides a run id).
///
/// # Errors
/// [`StoreError::BadTagName`] saying what is wrong.
pub fn check_tag_name(name: &str) -> Result<(), StoreError> {
    let allowed = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-');
    let reason = if name.is_empty() {
        "it is empty"
    } else if !name.bytes().all(allowed) {
        "it holds other characters"
    } else if name.len() > MAX_TAG_LEN {
        "it is longer than 64 characters"
    } else if name.starts_with('-') {
        "it starts with '-'"
    } else if name == LATEST {
        "'latest' always means the newest finished run"
    } else if name.len() >= MIN_PREFIX_LEN && RunId::has_prefix_form(name) {
        "it looks like a run id or the start of one"
    } else {
        return Ok(());
    };
    Err(StoreError::BadTagName {
        name: name.to_owned(),
        reason,
    })
}

fn tag_row(r: &Row<'_>) -> rusqlite::Result<Tag> {
    Ok(Tag {
        name: r.get(0)?,
        run_id: r.get(1)?,
        created: r.get(2)?,
    })
}

impl Store {
    /// Names run `run_id` `name`, moving the name if it named another run.
    ///
    /// # Errors
    /// [`StoreError::BadTagName`] (see [`check_tag_name`]),
    /// [`StoreError::RunNotInStore`] for a run the database does not hold,
    /// [`StoreError::Sqlite`].
    pub fn tag_run(&mut self, name: &str, run_id: &str) -> Result<TagOutcome, StoreError> {
        check_tag_name(name)?;
        let path = self.path.clone();
        let err = sql_err(&path);
        let tx = self.run_transaction(run_id)?;
        let before: Option<String> = tx
            .query_row("SELECT run_id FROM tags WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
            .map_err(&err)?;
        let outcome = match before {
            None => TagOutcome::Created,
            Some(from) if from == run_id => return Ok(TagOutcome::Unchanged),
            Some(from) => TagOutcome::Moved { from },
        };
        tx.execute(
            "INSERT INTO tags (name, run_id, created) VALUES (?1, ?2, ?3)
             ON CONFLICT(name) DO UPDATE SET run_id = excluded.run_id,
                 created = excluded.created",
            params![name, run_id, UtcTime::now().rfc3339()],
        )
        .map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(outcome)
    }

    /// Every tag, by name.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn tags(&self) -> Result<Vec<Tag>, StoreError> {
        self.query_tags("SELECT name, run_id, created FROM tags ORDER BY name", [])
    }

    /// The tags of run `run_id`, by name.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn tags_of(&self, run_id: &str) -> Result<Vec<Tag>, StoreError> {
        self.query_tags(
            "SELECT name, run_id, created FROM tags WHERE run_id = ?1 ORDER BY name",
            [run_id],
        )
    }

    /// The tag `name`, if any.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn tag(&self, name: &str) -> Result<Option<Tag>, StoreError> {
        self.conn
            .query_row(
                "SELECT name, run_id, created FROM tags WHERE name = ?1",
                [name],
                tag_row,
            )
            .optional()
            .map_err(|e| self.sql(e))
    }

    /// Removes the tag `name` (not its run) and returns it.
    ///
    /// # Errors
    /// [`StoreError::UnknownTag`] listing the tags there are,
    /// [`StoreError::Sqlite`].
    pub fn delete_tag(&self, name: &str) -> Result<Tag, StoreError> {
        let removed = self
            .conn
            .query_row(
                "DELETE FROM tags WHERE name = ?1 RETURNING name, run_id, created",
                [name],
                tag_row,
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        match removed {
            Some(tag) => Ok(tag),
            None => Err(StoreError::UnknownTag {
                name: name.to_owned(),
                tags: self.tags()?.into_iter().map(|t| t.name).collect(),
            }),
        }
    }

    fn query_tags(&self, sql: &str, args: impl rusqlite::Params) -> Result<Vec<Tag>, StoreError> {
        let mut q = self.conn.prepare(sql).map_err(|e| self.sql(e))?;
        q.query_map(args, tag_row)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.sql(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_names() {
        let long = "a".repeat(MAX_TAG_LEN);
        for good in [
            "nightly",
            "v0.3-baseline",
            "2026-01-31",
            "20260131-nightly",
            "a",
            "_x",
            "12345",
            "Latest",
            long.as_str(),
        ] {
            assert!(check_tag_name(good).is_ok(), "{good}");
        }
        let longer = "a".repeat(MAX_TAG_LEN + 1);
        for (bad, why) in [
            ("", "empty"),
            ("-f", "starts with '-'"),
            ("latest", "'latest'"),
            ("night ly", "other characters"),
            ("a/b", "other characters"),
            ("café", "other characters"),
            (longer.as_str(), "longer than 64"),
            ("123456", "looks like a run id"),
            ("20260131T1200", "looks like a run id"),
            ("20260131T120000.000Z-1a2b3c", "looks like a run id"),
        ] {
            let err = check_tag_name(bad).unwrap_err();
            assert!(matches!(err, StoreError::BadTagName { .. }), "{err:?}");
            assert!(err.to_string().contains(why), "{bad}: {err}");
        }
    }
}
