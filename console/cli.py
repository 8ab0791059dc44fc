"""Console administration from the command line.

python -m console.cli create-user NAME [--role reviewer|scheduler|editor|admin]   # asks the password twice
CONSOLE_PASSWORD=... python -m console.cli create-user NAME   # for scripts
python -m console.cli set-password NAME
python -m console.cli set-role NAME ROLE      # ends the account's sessions
python -m console.cli disable-user NAME       # ends its sessions at once; enable-user NAME undoes
python -m console.cli remove-user NAME
python -m console.cli list-users
python -m console.cli purge [--days N] [--dry-run]      # retention purge (audit-logged)
python -m console.cli delete-conversation SENDER_ID     # on a visitor's request
python -m console.cli delete-bookings --contact EMAIL_OR_PHONE | --reference EV-XXXXXX
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time

import sqlalchemy as sa

from console import audit, auth, retention, roles
from console.db import Database, events, users
from console.settings import Settings


def _actor() -> str:
    try:
        who = getpass.getuser()
    except Exception:  # no passwd entry in some containers
        who = "unknown"
    return f"cli:{who}"[:64]


def _password(args: argparse.Namespace) -> str:
    env = os.environ.get("CONSOLE_PASSWORD")
    if env:
        return env
    if not sys.stdin.isatty():
        # Scripts pipe it in: one line on stdin.
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise auth.AuthError("the passwords do not match")
    return first


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m console.cli",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("create-user", help="create a staff account")
    p.add_argument("name")
    p.add_argument(
        "--role",
        default=roles.DEFAULT_ROLE,
        choices=roles.ROLES,
        help=f"what the account may do (console/roles.py; default {roles.DEFAULT_ROLE})",
    )
    p = sub.add_parser("set-role", help="change an account's role (ends its sessions)")
    p.add_argument("name")
    p.add_argument("role", choices=roles.ROLES)
    for command, text in (
        ("disable-user", "disable an account and end its sessions"),
        ("enable-user", "enable a disabled account"),
        ("remove-user", "remove an account and its sessions"),
    ):
        sub.add_parser(command, help=text).add_argument("name")
    p = sub.add_parser("set-password", help="change a staff account's password (ends its sessions)")
    p.add_argument("name")
    sub.add_parser("list-users", help="list staff accounts")
    p = sub.add_parser("purge", help="delete conversation events older than the retention period")
    p.add_argument("--days", type=int, help="default: clinic.yml privacy.retention_days")
    p.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    p = sub.add_parser("delete-conversation", help="delete every event (and booking) of one conversation")
    p.add_argument("sender_id")
    p.add_argument("--reason", default="visitor request")
    p = sub.add_parser("delete-bookings", help="delete a person's bookings, by contact or reference")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--contact", help="the email address or US phone number they booked with")
    who.add_argument("--reference", help="a booking reference (EV-...)")
    p.add_argument("--reason", default="person's request")
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    db = Database(settings)
    try:
        if args.command == "create-user":
            auth.create_user(db, args.name, _password(args), args.role)
            audit.record(db, _actor(), "create_user", auth.normalise_username(args.name), role=args.role)
            print(f"created user {auth.normalise_username(args.name)} ({args.role})")
        elif args.command == "set-role":
            auth.set_role(db, args.name, args.role)
            audit.record(db, _actor(), "set_role", auth.normalise_username(args.name), role=args.role)
            print(f"{auth.normalise_username(args.name)} is now {args.role}")
        elif args.command in ("disable-user", "enable-user"):
            disabled = args.command == "disable-user"
            auth.set_disabled(db, args.name, disabled)
            audit.record(db, _actor(), args.command.replace("-", "_"), auth.normalise_username(args.name))
            print(f"{auth.normalise_username(args.name)} {'disabled' if disabled else 'enabled'}")
        elif args.command == "remove-user":
            auth.remove_user(db, args.name)
            audit.record(db, _actor(), "remove_user", auth.normalise_username(args.name))
            print(f"removed {auth.normalise_username(args.name)}")
        elif args.command == "set-password":
            auth.set_password(db, args.name, _password(args))
            audit.record(db, _actor(), "set_password", auth.normalise_username(args.name))
            print("password changed")
        elif args.command == "list-users":
            with db.console.connect() as conn:
                for row in conn.execute(sa.select(users).order_by(users.c.username)):
                    last = (
                        time.strftime("%Y-%m-%d %H:%M", time.localtime(row.last_login_at))
                        if row.last_login_at
                        else "never"
                    )
                    print(
                        f"{row.username}\t{row.role}\tlast login: {last}"
                        f"{'  (disabled)' if row.disabled else ''}"
                    )
        elif args.command == "purge":
            days = args.days or settings.retention_days
            if args.dry_run:
                cutoff = time.time() - days * 86400
                n = 0
                if db.events_table_exists():
                    with db.tracker.connect() as conn:
                        n = conn.execute(
                            sa.select(sa.func.count()).select_from(events).where(events.c.timestamp < cutoff)
                        ).scalar_one()
                print(f"{n} events older than {days} days would be deleted")
            else:
                result = retention.purge(db, days, _actor())
                print(
                    f"deleted {result['events']} events, {result['annotations']} "
                    f"annotations and {result['bookings']} bookings (appointments) older "
                    f"than {days} days"
                )
        elif args.command == "delete-conversation":
            result = retention.delete_conversation(db, args.sender_id, _actor(), args.reason)
            print(
                f"deleted {result['events']} events, {result['annotations']} annotations and "
                f"{result['bookings']} bookings"
            )
        elif args.command == "delete-bookings":
            n = retention.delete_bookings(
                db, _actor(), contact=args.contact, reference=args.reference, reason=args.reason
            )
            print(f"deleted {n} bookings")
    except (auth.AuthError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
