//! The text of a knowledge search, one statement per backend. Two steps in one statement, so
//! both read the same snapshot: the documents holding every word are ranked as wholes (the
//! order and scores the search has always had), then each of the page of hits is given its
//! best section, the one that ranks highest for any of the words, and the snippet is cut from
//! that section alone. A hit none of whose sections holds a word (its title alone matched)
//! shows its summary.
//!
//! On SQLite each step is materialized once (unmarked, SQLite 3.51 ran the ranking of the
//! documents a second time for `IN (SELECT id FROM top)`), and the snippets of all hits are cut
//! in one pass over the section index (`cut`) rather than one full-text query per hit.

use sea_orm::DbBackend;

use super::{KnowledgeFilter, fts5_query};

/// A statement and its parameters: texts, then the limit last.
pub(super) struct SearchSql {
    pub sql: String,
    pub texts: Vec<String>,
}

/// `words` must not be empty. `snippet` names the SQLite function that cuts snippets: FTS5's
/// `snippet` or one with its arguments and results (`fts5_snippet`); `bm25` the one that
/// ranks: FTS5's `bm25` or `taos_bm25` (`fts5_bm25`, the table's name its first argument).
/// PostgreSQL ignores both.
pub(super) fn search_sql(
    backend: DbBackend,
    words: &[String],
    filter: &KnowledgeFilter,
    snippet: &str,
    bm25: &str,
) -> SearchSql {
    match backend {
        DbBackend::Sqlite => sqlite(words, filter, snippet, bm25),
        _ => postgres(words, filter),
    }
}

/// `AND k.category = ?n …` for the filters that are set, numbering on from `texts`.
fn conditions(filter: &KnowledgeFilter, texts: &mut Vec<String>, mark: char) -> String {
    let mut out = String::new();
    for (column, value) in [("category", &filter.category), ("source_id", &filter.source_id)] {
        if let Some(v) = value {
            texts.push(v.clone());
            out.push_str(&format!(" AND k.{column} = {mark}{}", texts.len()));
        }
    }
    out
}

/// bm25 is lower-is-better; it weighs a title match ten times a content match, and a
/// section's heading twice its text; the documents are ordered by its negation (`score`
/// DESC, the same order), so it is computed once a row. `?n` parameters, which sqlx and
/// rusqlite both bind by position. The `+` on `+rowid` keeps FTS5 from running the full-text
/// query once per wanted section: one pass, the rowids checked as rows come.
fn sqlite(words: &[String], filter: &KnowledgeFilter, snippet: &str, bm25: &str) -> SearchSql {
    let rank = |table: &str, weights: &str| {
        if bm25 == "bm25" {
            format!("bm25({table}, {weights})")
        } else {
            format!("{bm25}({table}, '{table}', {weights})")
        }
    };
    let rank_items = rank("knowledge_fts", "10.0, 1.0");
    let rank_sections = rank("knowledge_section_fts", "2.0, 1.0");
    let any = words
        .iter()
        .map(|w| fts5_query(std::slice::from_ref(w)))
        .collect::<Vec<_>>()
        .join(" OR ");
    let mut texts = vec![fts5_query(words), any];
    let conditions = conditions(filter, &mut texts, '?');
    let limit = texts.len() + 1;
    let sql = format!(
        "WITH top AS MATERIALIZED ( \
           SELECT k.id, k.source_id, k.source_url, k.category, k.title, k.doc_url, k.summary, \
                  -{rank_items} AS score \
           FROM knowledge_fts JOIN knowledge_items k ON k.seq = knowledge_fts.rowid \
           WHERE knowledge_fts MATCH ?1{conditions} \
           ORDER BY score DESC, k.id LIMIT ?{limit}), \
         best AS MATERIALIZED ( \
           SELECT item_id, seq FROM ( \
             SELECT s.item_id, s.seq, row_number() OVER ( \
                      PARTITION BY s.item_id \
                      ORDER BY {rank_sections}, s.position) AS n \
             FROM knowledge_section_fts JOIN knowledge_sections s ON s.seq = knowledge_section_fts.rowid \
             WHERE knowledge_section_fts MATCH ?2 AND s.item_id IN (SELECT id FROM top)) \
           WHERE n = 1), \
         cut AS MATERIALIZED ( \
           SELECT rowid AS seq, {snippet}(knowledge_section_fts, 1, '[', ']', '…', 16) AS snippet \
           FROM knowledge_section_fts \
           WHERE knowledge_section_fts MATCH ?2 AND +rowid IN (SELECT seq FROM best)) \
         SELECT top.id, top.source_id, top.source_url, top.category, top.title, top.doc_url, \
                s.heading AS section, s.anchor, coalesce(cut.snippet, top.summary) AS snippet, \
                top.score \
         FROM top LEFT JOIN best ON best.item_id = top.id \
                  LEFT JOIN knowledge_sections s ON s.seq = best.seq \
                  LEFT JOIN cut ON cut.seq = best.seq \
         ORDER BY top.score DESC, top.id"
    );
    SearchSql { sql, texts }
}

/// The default weights rank A (title, heading) at 1.0 and B (text) at 0.4. Documents rank by
/// cover density (ts_rank_cd), as before; sections by frequency over the log of their length
/// (ts_rank, normalization 1), which like bm25 does not let a long section win on length
/// alone. Each word is its own parameter, ORed as tsqueries, so no input is tsquery syntax.
fn postgres(words: &[String], filter: &KnowledgeFilter) -> SearchSql {
    let mut texts = vec![words.join(" ")];
    let mut any = Vec::new();
    for w in words {
        texts.push(w.clone());
        any.push(format!("plainto_tsquery('english', ${})", texts.len()));
    }
    let any = any.join(" || ");
    let conditions = conditions(filter, &mut texts, '$');
    let limit = texts.len() + 1;
    let sql = format!(
        "WITH q AS (SELECT plainto_tsquery('english', $1) AS every_word, {any} AS any_word), \
         top AS ( \
           SELECT k.id, k.source_id, k.source_url, k.category, k.title, k.doc_url, k.summary, \
                  ts_rank_cd(k.search, q.every_word)::float8 AS score \
           FROM knowledge_items k, q \
           WHERE k.search @@ q.every_word{conditions} \
           ORDER BY score DESC, k.id LIMIT ${limit}), \
         best AS ( \
           SELECT DISTINCT ON (s.item_id) s.item_id, s.heading, s.anchor, s.content \
           FROM knowledge_sections s, q \
           WHERE s.item_id IN (SELECT id FROM top) AND s.search @@ q.any_word \
           ORDER BY s.item_id, ts_rank(s.search, q.any_word, 1) DESC, s.position) \
         SELECT top.id, top.source_id, top.source_url, top.category, top.title, top.doc_url, \
                best.heading AS section, best.anchor, \
                coalesce(ts_headline('english', best.content, q.any_word, \
                   'StartSel=[, StopSel=], MaxWords=30, MinWords=10, MaxFragments=2, FragmentDelimiter=\" … \"'), \
                   top.summary) AS snippet, \
                top.score \
         FROM top LEFT JOIN best ON best.item_id = top.id, q \
         ORDER BY top.score DESC, top.id"
    );
    SearchSql { sql, texts }
}
