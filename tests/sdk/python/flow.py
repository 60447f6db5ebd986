"""A flow against a live taosd through a Python SDK generated at default settings:
`openapi-python-client generate --url <taosd>/openapi.json` (package `ta_os_agent_api_client`, on
PYTHONPATH). Run by the `sdk` step of tests/run-all.sh:

    python flow.py http://127.0.0.1:PORT

It prints one line per step and exits non-zero on the first unexpected answer (a status the
contract does not document raises `UnexpectedStatus`, which fails the flow too)."""

import sys

from ta_os_agent_api_client import AuthenticatedClient, Client
from ta_os_agent_api_client.api.accounts import setup_account
from ta_os_agent_api_client.api.agent_tokens import issue_agent_token
from ta_os_agent_api_client.api.agents import create_agent, get_agent
from ta_os_agent_api_client.api.notifications import list_notifications
from ta_os_agent_api_client.api.notify import notify_user
from ta_os_agent_api_client.models import (
    Agent,
    AgentCreate,
    Error,
    IssuedAgentToken,
    NotificationList,
    NotifyRequest,
    NotifyResponse,
    Priority,
    SetupRequest,
    SetupResponse,
)


class FlowError(Exception):
    pass


def ok(step, what):
    print(f"ok   {step}: {what}", flush=True)


def expect(step, response, status, model):
    """The parsed body of `response` when it has `status` and parsed as `model`, else fails."""
    parsed = response.parsed
    if response.status_code != status or not isinstance(parsed, model):
        if isinstance(parsed, Error):
            raise FlowError(f"{step}: HTTP {int(response.status_code)} {parsed.error}: {parsed.detail}")
        raise FlowError(f"{step}: expected HTTP {status} {model.__name__}, got HTTP "
                        f"{int(response.status_code)} {response.content[:300]!r}")
    return parsed


def flow(base_url):
    anonymous = Client(base_url=base_url, raise_on_unexpected_status=True)

    # 1. The first user and its personal token.
    step = "setup_account (POST /auth/setup)"
    setup = expect(step, setup_account.sync_detailed(
        client=anonymous, body=SetupRequest(username="ada", password="correct-horse-battery")),
        201, SetupResponse)
    if not setup.token.startswith("taos_user_") or setup.user.username != "ada" or not setup.user.admin:
        raise FlowError(f"{step}: unexpected user {setup.user.to_dict()}")
    ok(step, f"user {setup.user.username} (admin), a taos_user_ token")
    user = AuthenticatedClient(base_url=base_url, token=setup.token, raise_on_unexpected_status=True)

    # 2. An agent, with nothing but its name (every other field keeps its default).
    step = "create_agent (POST /api/agents)"
    agent = expect(step, create_agent.sync_detailed(client=user, body=AgentCreate(name="Py Flow Bot")),
                   201, Agent)
    if (agent.name != "py-flow-bot" or agent.display_name != "Py Flow Bot"
            or agent.can_read_user_memory is not False or agent.has_token is not False):
        raise FlowError(f"{step}: unexpected agent {agent.to_dict()}")
    ok(step, f'agent {agent.name} (display name "{agent.display_name}", '
             "can_read_user_memory false, no token)")

    # 3. Its token, with no request body (the body is optional).
    step = "issue_agent_token (POST /api/agents/{name}/token/issue)"
    issued = expect(step, issue_agent_token.sync_detailed(agent.name, client=user), 200, IssuedAgentToken)
    if not issued.token.startswith("taos_agent_") or issued.agent != agent.name:
        raise FlowError(f"{step}: unexpected answer for agent {issued.agent!r}")
    ok(step, f"a taos_agent_ token for {issued.agent}, scope {issued.scope}")
    bot = AuthenticatedClient(base_url=base_url, token=issued.token, raise_on_unexpected_status=True)

    # 4. The agent notifies the user, with only a title.
    step = "notify_user (POST /api/ui/notify, agent token)"
    title = "Hello from the Python SDK"
    sent = expect(step, notify_user.sync_detailed(client=bot, body=NotifyRequest(title=title)),
                  200, NotifyResponse)
    if sent.delivered is not True:
        raise FlowError(f"{step}: unexpected answer {sent.to_dict()}")
    ok(step, f"notification {sent.notification_id} delivered")

    # 5. The user's inbox holds it, from the agent, unread.
    step = "list_notifications (GET /api/notifications)"
    page = expect(step, list_notifications.sync_detailed(client=user, unread_only=True, limit=10),
                  200, NotificationList)
    found = [n for n in page.items if n.id == sent.notification_id]
    if (len(found) != 1 or found[0].title != title or found[0].source != f"agent:{agent.name}"
            or found[0].read or found[0].message != "" or found[0].level != Priority.NORMAL):
        raise FlowError(f"{step}: notification {sent.notification_id} not listed as expected: "
                        f"{page.to_dict()}")
    ok(step, f"{len(page.items)} unread, {sent.notification_id} from {found[0].source}")

    # 6. A typed 404: the canonical error body, parsed as the SDK's Error model.
    step = "get_agent unknown (GET /api/agents/{name}) -> 404"
    missing = expect(step + " (an Error)", get_agent.sync_detailed("no-such-agent", client=user), 404, Error)
    if (missing.error != "agent_not_found" or not missing.fix
            or not missing.doc_url.startswith("/docs/agents/")):
        raise FlowError(f"{step}: unexpected error body {missing.to_dict()}")
    ok(step, f"404 {missing.error}, fix: {missing.fix}")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: python flow.py http://127.0.0.1:PORT")
    try:
        flow(sys.argv[1])
    except FlowError as e:
        print(f"FAIL {e}", file=sys.stderr)
        sys.exit(1)
    except Exception as e:  # noqa: BLE001 - an SDK exception (UnexpectedStatus, a parse error) fails it too
        print(f"FAIL {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
    print("python sdk flow: every step passed")


if __name__ == "__main__":
    main()
