"""The bookings view: the booking worker's table, the only view with contact details."""

import datetime as dt
import re
import sqlite3


def rows(page):
    return re.findall(r'<tr data-reference="([^"]+)"', page)


def test_bookings_list_shows_contact_details(staff):
    page = staff.get("/bookings").text
    assert len(rows(page)) == 2
    # Only here: the name and the contact as the visitor gave them.
    assert "Jane Doe" in page and "+19715550199" in page and "sam.roe@example.org" in page
    assert "Jane Doe" not in staff.get("/transcript?sender=conv-booking").text
    # Viewing contact details is audit-logged.
    assert "view_bookings" in staff.get("/audit").text


def test_bookings_date_filter(staff):
    today = dt.date.today()
    soon = staff.get(f"/bookings?date_from={today}&date_to={today + dt.timedelta(days=5)}").text
    later = staff.get(f"/bookings?date_from={today + dt.timedelta(days=6)}").text
    assert "Jane Doe" in soon and "Sam Roe" not in soon
    assert "Sam Roe" in later and "Jane Doe" not in later


def test_mark_attended_no_show_and_cancel(staff):
    reference = rows(staff.get("/bookings").text)[0]
    for action in ("attended", "no_show", "cancelled"):
        response = staff.post(
            "/bookings/update", {"reference": reference, "action": action}, allow_redirects=False
        )
        assert "done=booking_updated" in response.headers["Location"]
        with sqlite3.connect(staff.db_path) as conn:
            assert (
                conn.execute("select status from bookings where reference=?", (reference,)).fetchone()[0]
                == action
            )
    assert reference in rows(staff.get("/bookings?status=cancelled").text)
    assert reference not in rows(staff.get("/bookings?status=booked").text)
    bad = staff.post(
        "/bookings/update", {"reference": reference, "action": "delete_all"}, allow_redirects=False
    )
    assert "done=not_found" in bad.headers["Location"]
    audit = staff.get("/audit").text
    assert "booking_cancelled" in audit and "booking_attended" in audit and reference in audit
