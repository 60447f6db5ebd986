//! The block parser: the reference runner's rules for fences.

use taos_conformance::recipes::{Block, extract_blocks};

fn block(lang: &str, code: &str, line: usize) -> Block {
    Block {
        lang: lang.into(),
        code: code.into(),
        line,
    }
}

#[test]
fn keeps_bash_and_http() {
    let text = "# T\n\n```bash\ntaosctl agents list\n```\n\n```http\nGET /api/agents\n```\n";
    assert_eq!(
        extract_blocks(text),
        [
            block("bash", "taosctl agents list", 3),
            block("http", "GET /api/agents", 7)
        ]
    );
}

#[test]
fn drops_skip_json_and_other_languages() {
    let text = "```bash-skip\nx\n```\n```http-skip\ny\n```\n```json\n{}\n```\n```python\nprint(1)\n```\n```text\nz\n```\n";
    assert_eq!(extract_blocks(text), []);
}

#[test]
fn empty_file_has_no_blocks() {
    assert_eq!(extract_blocks(""), []);
    assert_eq!(extract_blocks("\n\n"), []);
}

#[test]
fn line_numbers_are_one_indexed() {
    let text = "one\ntwo\nthree\nfour\n```bash\necho hi\n```\n";
    assert_eq!(extract_blocks(text), [block("bash", "echo hi", 5)]);
    assert_eq!(extract_blocks("```http\nGET /\n```")[0].line, 1);
}

#[test]
fn two_consecutive_blocks() {
    let text = "```http\nGET /a\n```\n```http\nGET /b\n```\n";
    assert_eq!(
        extract_blocks(text),
        [block("http", "GET /a", 1), block("http", "GET /b", 4)]
    );
}

#[test]
fn unterminated_block_runs_to_eof() {
    let text = "intro\n```bash\necho one\n\necho two\n";
    assert_eq!(extract_blocks(text), [block("bash", "echo one\n\necho two", 2)]);
}

#[test]
fn four_backticks_do_not_close() {
    let text = "```bash\necho a\n````\necho b\n```\nafter\n";
    assert_eq!(extract_blocks(text), [block("bash", "echo a\n````\necho b", 1)]);
}

#[test]
fn bare_fence_opens_nothing() {
    // A bare ``` is not an opener, so the next ```bash is one; inside it, only ``` closes.
    let text = "```\nnot code\n```bash\necho x\n```\n";
    assert_eq!(extract_blocks(text), [block("bash", "echo x", 3)]);
    // A tag with a space in it is no tag either.
    assert_eq!(extract_blocks("```bash extra\necho y\n```\n"), []);
}

#[test]
fn crlf_reads_like_lf() {
    let text = "# T\r\n\r\n```bash  \r\necho hi\r\necho there\r\n```  \r\n```http\r\nGET /\r\n```\r\n";
    assert_eq!(
        extract_blocks(text),
        [block("bash", "echo hi\necho there", 3), block("http", "GET /", 7)]
    );
}

#[test]
fn closer_may_have_trailing_spaces_but_no_indent() {
    assert_eq!(extract_blocks("```bash\na\n```   \nb\n"), [block("bash", "a", 1)]);
    assert_eq!(
        extract_blocks("```bash\na\n  ```\nb\n"),
        [block("bash", "a\n  ```\nb", 1)]
    );
}

#[test]
fn blocks_inside_a_block_are_code() {
    // The inner ```http is text of the outer block, and the first ``` closes the outer one.
    let text = "```bash\ncat <<EOF\n```http\nGET /\n```\nEOF\n```\n";
    assert_eq!(
        extract_blocks(text),
        [block("bash", "cat <<EOF\n```http\nGET /", 1)]
    );
}
