"""The `overseer` command's parser: one small builder per command group."""

import argparse
import getpass
from pathlib import Path

from starters.cli.approvals_commands import add_approvals_commands
from starters.cli.arguments import (
    LIMIT,
    PORT,
    SEQUENCE,
    STEP,
    OneLineParser,
    actor_arg,
    name_arg,
    reason_arg,
)
from starters.cli.artifact_commands import add_artifacts_commands
from starters.cli.commands import (
    cmd_artifact,
    cmd_cancel,
    cmd_cassette,
    cmd_demo,
    cmd_events,
    cmd_inbox,
    cmd_ls,
    cmd_reset,
    cmd_retry,
    cmd_run,
    cmd_server,
    cmd_status,
    cmd_steps,
    cmd_top,
    cmd_versions,
    cmd_watch,
    cmd_worker,
)
from starters.cli.decision_commands import (
    cmd_approve,
    cmd_keys_new,
    cmd_keys_show,
    cmd_reject,
)
from starters.cli.deploy_commands import add_deploy_commands
from starters.cli.eval_commands import add_eval_command
from starters.cli.exit_codes import EPILOG as RUN_EXIT_CODES
from starters.cli.governance_commands import add_governance_commands
from starters.cli.pipeline_commands import cmd_reply
from starters.cli.queue_commands import add_queue_commands
from starters.cli.release_commands import add_release_commands
from starters.cli.schedule_commands import add_schedule_commands
from starters.cli.views import ALL_STATES

ENVIRONMENT_HELP = """\
environment:
  TEMPORAL_ADDRESS     Temporal frontend, default localhost:7233 (the embedded server)
  TEMPORAL_NAMESPACE   namespace, default "default" (also TEMPORAL_API_KEY, TEMPORAL_TLS*)
  OVERSEER_TASK_QUEUE  task queue of workers and runs, default "overseer"
  OVERSEER_SIGNING_KEY your personal key file: `overseer approve/reject` sign with it
  OVERSEER_APPROVALS_URL, OVERSEER_APPROVALS_TOKEN
                       decide through the approval service, as the token's user
"""


def _run_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "run", type=name_arg, help="run id (the workflow id), as printed by `overseer run`"
    )


def _decision_args(parser: argparse.ArgumentParser, reason_required: bool) -> None:
    _run_arg(parser)
    parser.add_argument(
        "action", nargs="?", type=name_arg, help="action id; may be left out if only one waits"
    )
    parser.add_argument(
        "--as",
        dest="user",
        type=actor_arg,
        help="your user id (the approver); with --key, the key's owner",
    )
    parser.add_argument(
        "--key",
        metavar="KEY_FILE",
        help="sign the decision with your personal key (`overseer keys new`); "
        "default $OVERSEER_SIGNING_KEY",
    )
    parser.add_argument(
        "--reason", type=reason_arg, required=reason_required, default="", help="why"
    )
    parser.add_argument(
        "--sha256", help="the args hash you reviewed; refused if the pending action differs"
    )


def _add_process_commands(sub: "argparse._SubParsersAction[OneLineParser]") -> None:
    """The processes: the embedded server, a worker, the demo."""
    p = sub.add_parser("server", help="start the embedded Temporal dev server (and Web UI)")
    p.add_argument("--ui-port", type=PORT, default=8233, help="Web UI port (default 8233)")
    p.set_defaults(handler=cmd_server)

    p = sub.add_parser("worker", help="run workflows and activities until SIGTERM / Ctrl-C")
    p.add_argument("--log-format", choices=["json", "text"], default="json")
    p.add_argument(
        "--metrics-port", type=PORT, help="serve Prometheus metrics on this port (/metrics)"
    )
    p.add_argument(
        "--config",
        type=Path,
        help="worker YAML: max_concurrent_activities, breaker, model_pools (see README)",
    )
    p.add_argument(
        "--deployment",
        help="serve this worker deployment (worker versioning; default $OVERSEER_DEPLOYMENT)",
    )
    p.add_argument(
        "--build-id", help="as this build, e.g. a release tag (default $OVERSEER_BUILD_ID)"
    )
    p.set_defaults(handler=cmd_worker)

    p = sub.add_parser("demo", help="a demo agent run on the embedded server, end to end")
    p.add_argument("--auto-approve", action="store_true", help="approve without asking")
    p.add_argument("--goal", default=None, help="the demo run's goal")
    p.add_argument("--ui-port", type=PORT, default=8233)
    p.set_defaults(handler=cmd_demo)


def _add_start_commands(sub: "argparse._SubParsersAction[OneLineParser]") -> None:
    """Starting runs: from a file, again (retry), from a step (reset), a cassette of one."""
    p = sub.add_parser(
        "run",
        help="start an agent run (agent file) or a pipeline (pipeline file)",
        epilog=RUN_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "agent_file",
        type=Path,
        help="agent or pipeline YAML file, e.g. agents/demo.yaml, agents/demo-pipeline.yaml",
    )
    p.add_argument("--goal", required=True, help="what the agent (or pipeline) should achieve")
    p.add_argument(
        "--as", dest="user", type=actor_arg, default=getpass.getuser(), help="requester id"
    )
    p.add_argument(
        "--watch", action="store_true", help="stream events until it ends or waits for a human"
    )
    p.add_argument(
        "--replay",
        type=Path,
        metavar="CASSETTE",
        help="answer the model's turns from a cassette (offline), see `overseer cassette`",
    )
    p.add_argument(
        "--priority",
        type=int,
        choices=range(10),
        metavar="0..9",
        help="join the run queue with this priority (0 first; default 5)",
    )
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("cassette", help="record a run's model calls (from its history) to a file")
    _run_arg(p)
    p.add_argument("--out", type=Path, required=True, help="cassette file to write (JSON)")
    p.set_defaults(handler=cmd_cassette)

    p = sub.add_parser("retry", help="start a fresh run from a run's spec, linked to it")
    _run_arg(p)
    p.set_defaults(handler=cmd_retry)

    p = sub.add_parser(
        "reset",
        help="re-run a run from step N (Temporal reset); refused over completed irreversible steps",
    )
    _run_arg(p)
    p.add_argument("--to-step", type=STEP, required=True, help="step number from `overseer steps`")
    p.add_argument("--force", action="store_true", help="reset even over irreversible steps")
    p.add_argument("--reason", type=reason_arg, help="why (required with --force; recorded)")
    p.add_argument("--as", dest="user", type=actor_arg, default=getpass.getuser())
    p.set_defaults(handler=cmd_reset)


def _add_view_commands(sub: "argparse._SubParsersAction[OneLineParser]") -> None:
    """Reading runs: lists, one run's state, events, steps and artifacts."""
    p = sub.add_parser("ls", help="list runs and pipelines, newest first")
    p.add_argument("--state", choices=ALL_STATES, help="only runs in this state")
    p.add_argument("--agent", help="only runs of this agent (a pipeline's: pipeline:NAME)")
    p.add_argument("--schedule", type=name_arg, help="only runs this schedule started")
    p.add_argument(
        "--version", type=name_arg, help="only runs of this agent version (overseer versions)"
    )
    p.add_argument("--limit", type=LIMIT, default=20)
    p.set_defaults(handler=cmd_ls)

    p = sub.add_parser(
        "versions", help="an agent's versions that ran: runs, outcome rates, mean cost and steps"
    )
    p.add_argument("agent", type=name_arg, help="the agent's name (as in its file)")
    p.set_defaults(handler=cmd_versions)

    p = sub.add_parser("status", help="a run's state, step, budget and pending approvals")
    _run_arg(p)
    p.set_defaults(handler=cmd_status)

    p = sub.add_parser("watch", help="a live view of a run, until it ends")
    _run_arg(p)
    p.set_defaults(handler=cmd_watch)

    p = sub.add_parser("inbox", help="every pending approval across runs, oldest first")
    p.add_argument("--agent", help="only runs of this agent")
    p.set_defaults(handler=cmd_inbox)

    p = sub.add_parser("top", help="runs and pipelines counted by agent and state")
    p.add_argument("--limit", type=LIMIT, default=1000, help="look at this many recent runs")
    p.set_defaults(handler=cmd_top)

    p = sub.add_parser("events", help="a run's event log")
    _run_arg(p)
    p.add_argument(
        "--after", type=SEQUENCE, default=0, help="only events after this sequence number"
    )
    p.add_argument(
        "--follow", action="store_true", help="stream until it ends or waits for a human"
    )
    p.set_defaults(handler=cmd_events)

    p = sub.add_parser("steps", help="each step of a run: effect, status, safe to re-run?")
    _run_arg(p)
    p.set_defaults(handler=cmd_steps)

    p = sub.add_parser("artifact", help="fetch a payload kept out of history (artifact get REF)")
    artifact = p.add_subparsers(dest="artifact_command", required=True, metavar="ACTION")
    p = artifact.add_parser("get", help="write an artifact's bytes to stdout or --out")
    p.add_argument("ref", help="sha256:<hex>, as in a run's events")
    p.add_argument("--out", type=Path, help="write to this file instead of stdout")
    p.set_defaults(handler=cmd_artifact)


def _add_decision_commands(sub: "argparse._SubParsersAction[OneLineParser]") -> None:
    """A human's decisions: approve, reject, reply, cancel."""
    p = sub.add_parser("approve", help="approve one pending action")
    _decision_args(p, reason_required=False)
    p.set_defaults(handler=cmd_approve)

    p = sub.add_parser("reject", help="reject one pending action (the model is told why)")
    _decision_args(p, reason_required=True)
    p.set_defaults(handler=cmd_reject)

    _add_key_commands(sub)

    p = sub.add_parser("reply", help="answer a run that handed its task to a human (blocked)")
    _run_arg(p)
    p.add_argument("--as", dest="user", type=actor_arg, required=True, help="your user id")
    p.add_argument("--text", required=True, help="your reply; the agent gets it")
    p.set_defaults(handler=cmd_reply)

    p = sub.add_parser("cancel", help="cancel a run, recording who and why")
    _run_arg(p)
    p.add_argument("--reason", type=reason_arg, required=True)
    p.add_argument("--as", dest="user", type=actor_arg, default=getpass.getuser())
    p.set_defaults(handler=cmd_cancel)


KEYS_EPILOG = """\
A personal key lets the run verify that a decision is yours: the policy lists its public
key (decision_keys) and, with require_signed_decisions: true, refuses unsigned decisions.
  overseer keys new alice-2026 --as alice
  overseer approve RUN --key ~/.config/overseer/keys/alice-2026.json
A service key (--service) is the approval service's: it vouches for whoever the service
authenticated (overseer approvals serve --signing-key FILE).
"""


def _add_key_commands(sub: "argparse._SubParsersAction[OneLineParser]") -> None:
    keys = sub.add_parser(
        "keys",
        help="make and show keys that sign decisions",
        epilog=KEYS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = keys.add_subparsers(dest="keys_command", required=True, metavar="VERB")
    p = verbs.add_parser("new", help="make a key pair; prints the policy lines that trust it")
    p.add_argument("key_id", type=name_arg, help="the key's id in the policy, e.g. alice-2026")
    owner = p.add_mutually_exclusive_group(required=True)
    owner.add_argument("--as", dest="user", type=actor_arg, help="the approver it signs for")
    owner.add_argument(
        "--service", action="store_true", help="a key for the approval service (signs for anyone)"
    )
    p.add_argument(
        "--out", type=Path, help="key file to write (default ~/.config/overseer/keys/ID.json)"
    )
    p.set_defaults(handler=cmd_keys_new)
    p = verbs.add_parser("show", help="print the policy lines that trust a key file")
    p.add_argument("path", type=Path, help="a key file")
    p.set_defaults(handler=cmd_keys_show)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="overseer",
        description="Durable, supervised AI agent runs on Temporal.",
        epilog=ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_process_commands(sub)
    _add_start_commands(sub)
    _add_view_commands(sub)
    _add_decision_commands(sub)
    add_governance_commands(sub)
    add_queue_commands(sub)
    add_schedule_commands(sub)
    add_artifacts_commands(sub)
    add_release_commands(sub)
    add_approvals_commands(sub)
    add_deploy_commands(sub)
    add_eval_command(sub)
    return parser
