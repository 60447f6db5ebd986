#!/usr/bin/env bash
# A scripted stand-in for an LLM agent, for `taos-conformance smoke --agent-cmd`.
#
# It reads the task (stdin, else $TAOS_SMOKE_PROMPT), recognises each canonical task by its
# wording, and does it the way docs/agents/recipes/*.md show, with `taosctl` (which must be on
# PATH and finds the server and token in TAOS_URL / TAOS_TOKEN). A prompt it does not recognise
# exits 3 ("I don't know how"), which the runner reports as gave_up. It never prints a token.
#
# It exists so that CI can prove the smoke harness itself: its prompts, its process handling,
# its verification and its report. It does not use $TAOS_SMOKE_TASK: like a real agent, it has
# only the prompt to go on.
set -euo pipefail

say() {
    printf 'stand-in: %s\n' "$*" >&2
}

prompt=$(cat || true)
if [[ -z ${prompt//[[:space:]]/} ]]; then
    prompt=${TAOS_SMOKE_PROMPT:-}
fi
# One line, so that a task's sentences match as one.
prompt=$(tr '\n' ' ' <<<"$prompt")

command -v taosctl >/dev/null || {
    say "taosctl is not on PATH"
    exit 3
}
: "${TAOS_URL:?TAOS_URL is not set}" "${TAOS_TOKEN:?TAOS_TOKEN is not set}"

# `json FILTER`: FILTER (`.a`, `.a[]`, `.a[].b`) applied to the JSON on stdin, one string per
# line. jq when there is one, else a few lines of Python.
json() {
    if command -v jq >/dev/null; then
        jq -r "$1"
    else
        python3 -c '
import json, sys
vals = [json.load(sys.stdin)]
for part in sys.argv[1].strip(".").split("."):
    each = part.endswith("[]")
    key = part[:-2] if each else part
    if key:
        vals = [v.get(key) for v in vals if isinstance(v, dict)]
    if each:
        vals = [x for v in vals if isinstance(v, list) for x in v]
for v in vals:
    print(v if isinstance(v, str) else json.dumps(v))
' "$1"
    fi
}

# The scope named for the knowledge search operation in a doc page (markdown on stdin): the
# "Scope" or "Slug" column of a table row that names the operation (the permissions table, the
# API audit), or a recipe's sentence `GET /api/knowledge/search` … (slug `…`).
scope_in_page() {
    local line col i
    local -a header=() cells=()
    while IFS= read -r line; do
        if [[ $line != \|* ]]; then
            header=()
            if [[ $line == *"/api/knowledge/search"* && $line =~ [Ss]lug\ \`([a-z][a-z0-9_.-]*)\` ]]; then
                printf '%s\n' "${BASH_REMATCH[1]}"
                return 0
            fi
            continue
        fi
        IFS='|' read -r -a cells <<<"${line#|}"
        if ((${#header[@]} == 0)); then
            header=("${cells[@]}")
            continue
        fi
        [[ $line == *"/api/knowledge/search"* || $line == *searchKnowledge* ]] || continue
        for i in "${!header[@]}"; do
            col=$(tr '[:upper:]' '[:lower:]' <<<"${header[$i]}")
            if [[ $col =~ ^\ *(scope|slug)\ *$ && ${cells[$i]:-} =~ \`([a-z][a-z0-9_.-]*)\` ]]; then
                printf '%s\n' "${BASH_REMATCH[1]}"
                return 0
            fi
        done
    done
    return 1
}

# Item ids of the knowledge search hits for the words given.
knowledge_search() {
    taosctl knowledge search "$@" --json | json '.items[].id'
}

# The markdown of one knowledge item.
knowledge_content() {
    taosctl knowledge get "$1" --json | json '.content'
}

find_search_scope() {
    local words ids id scope
    for words in "knowledge search scope" "search scope" "knowledge search" "searchKnowledge"; do
        say "searching the knowledge store for: $words"
        # Word splitting wanted: each word is one argument of the search.
        # shellcheck disable=SC2086
        ids=$(knowledge_search $words || true)
        while IFS= read -r id; do
            [[ -n $id ]] || continue
            if scope=$(knowledge_content "$id" | scope_in_page); then
                say "found it in knowledge item $id"
                printf '%s\n' "$scope"
                return 0
            fi
        done <<<"$ids"
    done
    return 1
}

if [[ $prompt =~ Create\ a\ taOS\ agent\ named\ \"([^\"]+)\"\ that\ runs\ on\ host\ \"([^\"]+)\" ]]; then
    name=${BASH_REMATCH[1]} host=${BASH_REMATCH[2]}
    say "creating agent $name on $host"
    taosctl agents create --name "$name" --host "$host"

elif [[ $prompt =~ Issue\ an\ API\ token\ for\ the\ taOS\ agent\ \"([^\"]+)\".*notification\ titled\ \"([^\"]+)\" ]]; then
    name=${BASH_REMATCH[1]} title=${BASH_REMATCH[2]}
    say "issuing a token for $name"
    issued=$(taosctl agents token issue "$name" --json)
    agent_token=$(json '.token' <<<"$issued")
    if [[ $agent_token != taos_agent_* ]]; then
        say "the issue answer held no agent token"
        exit 1
    fi
    say "notifying the user as $name"
    TAOS_TOKEN=$agent_token taosctl ui notify --title "$title" --body "sent with the token of $name"

elif [[ $prompt =~ which\ scope.*knowledge\ search.*notification\ titled\ \"([^\"]+)\" ]]; then
    title=${BASH_REMATCH[1]}
    if ! scope=$(find_search_scope); then
        say "the docs did not tell me which scope the knowledge search needs"
        exit 1
    fi
    say "the answer is $scope"
    taosctl ui notify --title "$title" --body "$scope"

elif [[ $prompt =~ Deploy\ a\ taOS\ agent\ named\ \"([^\"]+)\".*notification\ titled\ \"([^\"]+)\" ]]; then
    name=${BASH_REMATCH[1]} title=${BASH_REMATCH[2]}
    # taOS runs the program with a clean environment (its PATH is /usr/local/bin:/usr/bin:/bin)
    # plus TAOS_URL and TAOS_TOKEN, so it calls this taosctl by its full path, which then
    # authenticates with the injected token. Its last line says when it came up, to the
    # nanosecond: only its logs can tell.
    ctl=$(command -v taosctl)
    program="\"$ctl\" ui notify --title \"$title\" --body 'sent with the token taOS injected' >/dev/null && echo \"$name: up since \$(date +%s%N)\"; exec sleep 600"
    say "deploying $name"
    taosctl agents deploy "$name" --scope ui.notify --wait -- sh -c "$program"

elif [[ $prompt =~ Read\ the\ logs\ of\ the\ taOS\ agent\ \"([^\"]+)\".*notification\ titled\ \"([^\"]+)\" ]]; then
    name=${BASH_REMATCH[1]} title=${BASH_REMATCH[2]}
    say "reading the last line of $name's logs"
    line=$(taosctl agents logs "$name" --tail 1)
    if [[ -z $line ]]; then
        say "$name has written nothing yet"
        exit 1
    fi
    taosctl ui notify --title "$title" --body "$line"

elif [[ $prompt =~ Pause\ the\ taOS\ agent\ \"([^\"]+)\".*resume ]]; then
    name=${BASH_REMATCH[1]}
    say "pausing and resuming $name"
    taosctl agents pause "$name"
    taosctl agents resume "$name"

elif [[ $prompt =~ Send\ the\ user\ a\ notification\ titled\ \"([^\"]+)\"\ with\ the\ body\ \"([^\"]*)\" ]]; then
    title=${BASH_REMATCH[1]} body=${BASH_REMATCH[2]}
    say "notifying the user"
    taosctl ui notify --title "$title" --body "$body"

elif [[ $prompt =~ Revoke\ the\ API\ token\ of\ the\ taOS\ agent\ \"([^\"]+)\" ]]; then
    name=${BASH_REMATCH[1]}
    say "revoking the token of $name"
    taosctl agents token revoke "$name"

elif [[ $prompt =~ Delete\ the\ taOS\ agent\ \"([^\"]+)\" ]]; then
    name=${BASH_REMATCH[1]}
    say "archiving $name"
    taosctl agents delete "$name" --yes

else
    say "I don't know how to do that: ${prompt:0:200}"
    exit 3
fi
